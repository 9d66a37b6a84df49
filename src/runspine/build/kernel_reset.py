"""Inside a reused kernel: put back what a fresh kernel looks like before each notebook.

The runner keeps one warm kernel per worker and runs notebook after notebook in it, so
the scientific imports (about 1.5 s) are paid once per worker instead of once per
notebook. This module runs *in the kernel*. :func:`warm_up` imports the stack and takes a
snapshot; :func:`reset`, called before every notebook (the first one included, so a
kernel used once goes through the same steps as a reused one), restores it:

- the IPython namespace, ``In``/``Out`` history and execution counter (``In [1]`` again);
- project code: the ``runspine`` package (wherever it is installed) and every module
  loaded from outside the interpreter's prefixes (helpers next to the notebooks) are
  dropped from ``sys.modules`` and imported afresh by the next notebook, so module-level
  state such as ``runspine.notebook.results`` starts empty;
- matplotlib (open figures closed, ``rcParams``), pandas options, NumPy error and print
  settings, warning filters and "shown once" registries, the root logger, ``os.environ``,
  ``sys.path`` and the working directory.

Third-party modules stay imported (their import-time side effects happened in the warm-up,
for every kernel alike). Byte-identical reports from a reused and a fresh kernel are
tested (tests/test_kernel_reuse.py); ``runspine run --fresh-kernels`` opts out.
"""

from __future__ import annotations

import os
import sys

#: Imported by :func:`warm_up`: the stack the notebooks use (runspine pulls in the rest).
WARM_IMPORTS = (
    "numpy", "pandas", "scipy.stats", "statsmodels.api", "matplotlib.pyplot", "seaborn",
    "IPython.display", "runspine.notebook.helpers", "runspine.notebook.plots", "runspine.data",
    "runspine.claims", "runspine.notebook.results", "runspine.stats.meta", "runspine.stats.power",
    "runspine.stats.groups", "runspine.stats.models", "runspine.stats.simulate", "runspine.stats.summary",
    "runspine.stats.prevalence", "runspine.studies.aerobic", "runspine.studies.disc",
    "runspine.studies.hip", "runspine.studies.prevalence", "runspine.studies.shrinkage",
)

_BASELINE: dict = {}


def warm_up(modules: tuple[str, ...] = WARM_IMPORTS) -> None:
    """Import ``modules`` (skipping any that fail) and snapshot the state :func:`reset`
    restores."""
    import gc
    import importlib

    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S112 - the notebook that imports it reports it,
            continue       # at its own cell, with its own traceback
    snapshot()
    gc.collect()
    gc.freeze()  # the warm-up's objects: never scanned again by the collector


def snapshot() -> None:
    """Record the state a notebook should start from (after the warm-up imports)."""
    import logging
    import warnings

    import matplotlib
    import numpy as np

    root = logging.getLogger()
    _BASELINE.update(
        stack={name for name, module in sys.modules.items()
               if not _project_module(module)},
        rc=dict(matplotlib.rcParams), filters=list(warnings.filters),
        showwarning=warnings.showwarning, np_err=np.geterr(),
        np_print=np.get_printoptions(), environ=dict(os.environ), path=list(sys.path),
        log_handlers=list(root.handlers), log_level=root.level)


def _project_module(module) -> bool:
    """True for runspine itself (however it is installed) and for any code outside the
    interpreter's prefixes (an editable install, helpers next to the notebooks)."""
    name = getattr(module, "__name__", None)
    if module is None or name == __name__:
        return False
    if isinstance(name, str) and (name == "runspine" or name.startswith("runspine.")):
        return True
    path = getattr(module, "__file__", None) or ""
    if not path:
        return False
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix,
                                              sys.exec_prefix)}
    real = os.path.realpath(path)
    return not any(real.startswith(p + os.sep) for p in prefixes)


def reset(output_dir: str, cwd: str) -> None:
    """Restore the snapshot, then point the notebook at ``output_dir`` and ``cwd``."""
    import logging
    import warnings

    import matplotlib
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    from IPython import get_ipython

    if not _BASELINE:
        snapshot()
    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matplotlib.rcParams.update(_BASELINE["rc"])
        pd.reset_option("all")
    warnings.filters[:] = _BASELINE["filters"]
    warnings.showwarning = _BASELINE["showwarning"]
    warnings._filters_mutated()  # forget "already shown" in every __warningregistry__
    warnings.onceregistry.clear()
    np.seterr(**_BASELINE["np_err"])
    np.set_printoptions(**_BASELINE["np_print"])
    root = logging.getLogger()
    root.handlers[:] = _BASELINE["log_handlers"]
    root.setLevel(_BASELINE["log_level"])

    stack = _BASELINE["stack"]
    for name, module in list(sys.modules.items()):
        if name not in stack and _project_module(module):
            del sys.modules[name]
    sys.path[:] = _BASELINE["path"]
    os.environ.clear()
    os.environ.update(_BASELINE["environ"])
    os.environ["RUNSPINE_OUTPUT_DIR"] = output_dir
    os.chdir(cwd)

    shell = get_ipython()
    if shell is not None:
        shell.reset(new_session=True)  # namespace, In/Out, execution_count = 1
        # (history is kept in memory: the runner's kernels use hist_file=:memory:)
    import gc

    gc.collect()
