"""The build engine: from notebooks and parameters to published reports.

In process: ``runspine.engine.run(project, selection, params, ...) -> BuildResult`` and
``runspine.engine.sweep(project, name, grid_file, ...)`` (:mod:`~runspine.engine.api`);
the ``runspine`` command is a thin shell over them. ``with runspine.engine.kept_warm():``
keeps the kernel template from one build to the next (many builds in one process). Its
modules, one concern each, are listed in the README's Layout, and "The engine in one
screen" there follows a build through them.

Imports: the foundation, :mod:`runspine.site` (to render what it publishes) and the
notebook layer's output-directory variable; never a study (:mod:`runspine.studies`) or
the statistics: notebooks are run as files, whatever they compute. Importing this
package imports nothing else (the command starts fast).
"""

from __future__ import annotations

_LAZY = {"run": "api", "sweep": "api", "kept_warm": "template"}


def __getattr__(name: str):
    """``run``, ``sweep`` (:mod:`~runspine.engine.api`'s) and ``kept_warm``
    (:mod:`~runspine.engine.template`'s), imported when first used."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
