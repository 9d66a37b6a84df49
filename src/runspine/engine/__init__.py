"""The build engine: from notebooks and parameters to published reports.

In process: ``runspine.engine.run(project, selection, params, ...) -> BuildResult`` and
``runspine.engine.sweep(project, name, grid_file, ...)`` (:mod:`~runspine.engine.api`);
the ``runspine`` command is a thin shell over them. ``with runspine.engine.kept_warm():``
keeps the kernel template from one build to the next (many builds in one process).

- :mod:`~runspine.engine.api`       the Python API (run, sweep, BuildResult)
- :mod:`~runspine.engine.jobs`      notebook discovery; the Job and Outcome records
- :mod:`~runspine.engine.cache`     cache keys: hashes of everything a report depends on
- :mod:`~runspine.engine.plan`      validate names and parameters into jobs; start nothing
- :mod:`~runspine.engine.owner`     the reports directory is runspine's own (marker, refusals)
- :mod:`~runspine.engine.execute`   run one notebook (papermill's parameters, nbclient's
                                    async cells), render it, publish or keep the failure
- :mod:`~runspine.engine.messages`  one-line failure descriptions and progress lines
- :mod:`~runspine.engine.publish`   atomic publishing, crash recovery, the lock, the manifest
- :mod:`~runspine.engine.driver`    one event loop runs N notebooks at once; Ctrl-C/SIGTERM
- :mod:`~runspine.engine.kernels`   the kernels notebooks run in (provisioner, zygote: forked
                                    from one warm template per build)
- :mod:`~runspine.engine.subreaper` no process a kernel starts leaves its tree (Linux)
- :mod:`~runspine.engine.pipeline`  the build: plan -> reuse or execute -> manifest and index
- :mod:`~runspine.engine.grid`      a sweep's grid: read, count, name and validate its points
- :mod:`~runspine.engine.sweep`     one notebook over a grid of parameter values
- :mod:`~runspine.engine.cluster`   a sweep's points on a Dask cluster; its failures in one line

Imports: the foundation, :mod:`runspine.site` (to render what it publishes) and the
notebook layer's output-directory variable; never a study (:mod:`runspine.studies`) or
the statistics: notebooks are run as files, whatever they compute. Importing this
package imports nothing else (the command starts fast).
"""

from __future__ import annotations


def run(*args, **kwargs):
    """:func:`runspine.engine.api.run` (imported when first called)."""
    from runspine.engine.api import run as _run

    return _run(*args, **kwargs)


def sweep(*args, **kwargs):
    """:func:`runspine.engine.api.sweep` (imported when first called)."""
    from runspine.engine.api import sweep as _sweep

    return _sweep(*args, **kwargs)


def kept_warm():
    """:func:`runspine.engine.template.kept_warm` (imported when first called)."""
    from runspine.engine.template import kept_warm as _kept_warm

    return _kept_warm()
