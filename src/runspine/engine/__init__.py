"""The build engine: from notebooks and parameters to published reports.

- :mod:`~runspine.engine.jobs`      notebook discovery; the Job and Outcome records
- :mod:`~runspine.engine.cache`     cache keys: hashes of everything a report depends on
- :mod:`~runspine.engine.plan`      validate names and parameters into jobs; start nothing
- :mod:`~runspine.engine.execute`   run one notebook (papermill), render it, publish or keep the failure
- :mod:`~runspine.engine.messages`  one-line failure descriptions and progress lines
- :mod:`~runspine.engine.publish`   atomic publishing, crash recovery, the lock, the manifest
- :mod:`~runspine.engine.workers`   the worker pool: start, run, stop, never outlive the build
- :mod:`~runspine.engine.kernels`   the kernels notebooks run in
- :mod:`~runspine.engine.pipeline`  the build: plan -> reuse or execute -> manifest and index
- :mod:`~runspine.engine.sweep`     one notebook over a grid of parameter values

Imports: the foundation (:mod:`runspine.paths`, :mod:`runspine.data`), :mod:`runspine.site`
(to render what it publishes) and the notebook helpers' file writer; never a study
(:mod:`runspine.studies`) or the statistics: notebooks are run as files, whatever they
compute.
"""
