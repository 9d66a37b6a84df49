"""A notebook checks its own parameters, whoever runs it.

``runspine run`` checks values before it starts a kernel; papermill, ``jupyter nbconvert
--execute``, nbclient, nbmake and JupyterLab do not. So the set-up call every notebook
makes (:func:`runspine.notebook.helpers.setup`) calls :func:`check` first, which checks
the values in the kernel with the CLI's own code (:mod:`runspine.parameters`):

- the declarations (types, ``[low, high]`` ranges, ``{a, b}`` allowed values) are read
  from the parameters cell as the kernel ran it: the latest cell in the kernel's input
  history whose every line is a typed declaration (``rho: float = 0.5  # ... [-0.45, 0.99]``);
- the names a runner set are read from papermill's injected-parameters cell (it starts
  with the line ``# Parameters``; papermill itself only warns about an unknown name);
- the values are the kernel's globals of those names.

A bad value or name raises :class:`runspine.parameters.ParameterError` with one line
naming the parameter, and the kernel shows that line alone (no traceback). Outside
IPython (no kernel history) there is nothing to read and nothing is checked.
"""

from __future__ import annotations

from typing import Any

from runspine.parameters import (
    Parameter,
    ParameterError,
    check_values,
    is_declaration,
    parameters_from_source,
    parse_parameters_source,
)

INJECTED_HEADER = "# Parameters"  # papermill's PythonTranslator.codify comment line


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    return get_ipython()


def from_history(history: list[str]) -> tuple[dict[str, Parameter], set[str]] | None:
    """(declared parameters, names injected after them) from a kernel's input history
    (oldest first), or None when no parameters cell was run."""
    for i in range(len(history) - 1, -1, -1):
        if is_declaration(history[i]):
            break
    else:
        return None
    declared = parameters_from_source(history[i], "the parameters cell")
    injected: set[str] = set()
    for src in history[i + 1:]:
        lines = src.strip().splitlines()
        if lines and lines[0].strip() == INJECTED_HEADER:
            injected |= {name for name, *_ in parse_parameters_source(src)}
    return declared, injected


def declared() -> dict[str, Parameter] | None:
    """The parameters this kernel's notebook declares (None outside IPython or before
    the parameters cell ran)."""
    shell = _shell()
    if shell is None:
        return None
    found = from_history(list(shell.history_manager.input_hist_raw))
    return None if found is None else found[0]


def check(namespace: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Check the kernel's parameter values as ``runspine run`` checks them; write the
    coerced values back (an int given for a float becomes a float) and return them.
    None (nothing checked) outside IPython or before the parameters cell ran.

    Raises
    ------
    ParameterError
        One line naming the parameter: a value of the wrong type, out of its range or
        not one of its allowed values, or a name the notebook does not declare (with the
        closest declared name).
    """
    shell = _shell()
    if shell is None:
        return None
    _one_line_errors(shell)
    found = from_history(list(shell.history_manager.input_hist_raw))
    if found is None:
        return None
    params, injected = found
    ns = shell.user_ns if namespace is None else namespace
    values = check_values(params, ns, injected)
    ns.update(values)
    return values


def _show_one_line(shell, etype, value, tb, tb_offset=None):
    """IPython custom exception handler: a bad parameter is shown as its one line (the
    handler shows it: IPython only calls it; ipykernel's ``_showtraceback`` sends it as
    the cell's error output, so runners see the error as usual)."""
    stb = [f"{etype.__name__}: {value}"]
    shell._showtraceback(etype, value, stb)
    return stb


def _one_line_errors(shell) -> None:
    """Show :class:`ParameterError` in this kernel as one line, not a traceback through
    runspine's code (other exceptions are untouched)."""
    if not getattr(shell, "custom_exceptions", ()):  # never replace someone else's handler
        shell.set_custom_exc((ParameterError,), _show_one_line)
