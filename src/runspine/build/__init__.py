"""The build engine: from notebooks and parameters to published reports.

- :mod:`~runspine.build.params`    typed notebook parameters: inspection, coercion, validation
- :mod:`~runspine.build.jobs`      notebook discovery; the Job and Outcome records
- :mod:`~runspine.build.cache`     cache keys: hashes of everything a report depends on
- :mod:`~runspine.build.plan`      validate names and parameters into jobs; start nothing
- :mod:`~runspine.build.execute`   run one notebook (papermill), render it, publish or keep the failure
- :mod:`~runspine.build.messages`  one-line failure descriptions and progress lines
- :mod:`~runspine.build.publish`   atomic publishing, crash recovery, the lock, the manifest
- :mod:`~runspine.build.workers`   the worker pool: start, run, stop, never outlive the build
- :mod:`~runspine.build.kernels`   the kernels notebooks run in
- :mod:`~runspine.build.pipeline`  the build: plan -> reuse or execute -> manifest and index
- :mod:`~runspine.build.sweep`     one notebook over a grid of parameter values

Imports: the foundation (:mod:`runspine.paths`, :mod:`runspine.data`), :mod:`runspine.site`
(to render what it publishes) and the notebook helpers' file writer; never a study
(:mod:`runspine.studies`) or the statistics: notebooks are run as files, whatever they
compute.
"""
