"""Typed notebook parameters: inspection, coercion and strict validation (foundation:
the CLI and the notebooks' own set-up call, :func:`runspine.notebook.helpers.setup`, use
the same code).

Each notebook has one cell tagged ``parameters`` whose lines read::

    rho: float = 0.5  # within-subject correlation between paces [-0.45, 0.99]

papermill's inspection (``papermill --help-notebook``) reads the name, type, default and
help; :func:`parse_parameters_source` reads them the same way without importing papermill. Here every parameter must be typed; values given on the command line (strings) or
in a YAML file are coerced to the declared type, and a trailing ``[low, high]`` in the help
is enforced as an inclusive range. Unknown names are errors (papermill only warns).
"""

from __future__ import annotations

import ast
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from runspine.text import utf8_text

SUPPORTED = ("int", "float", "str", "bool", "list[int]", "list[float]", "list[str]")
_RANGE = re.compile(r"\[\s*(-?[0-9.eE+-]+)\s*,\s*(-?[0-9.eE+-]+)\s*\]\s*$")
_CHOICES = re.compile(r"\{\s*([\w.+-]+(?:\s*,\s*[\w.+-]+)*)\s*\}\s*$")


class ParameterError(ValueError):
    """A parameter name, type or value is not acceptable (exit code 2)."""


@dataclass(frozen=True)
class Parameter:
    """A declared notebook parameter."""

    name: str
    type: str
    default: Any
    help: str

    @property
    def bounds(self) -> tuple[float, float] | None:
        m = _RANGE.search(self.help or "")
        return (float(m.group(1)), float(m.group(2))) if m else None

    @property
    def choices(self) -> tuple[str, ...] | None:
        """Allowed values of a ``str`` or ``list[str]`` parameter: a trailing
        ``{a, b, c}`` in its help."""
        if self.type not in ("str", "list[str]"):
            return None
        m = _CHOICES.search(self.help or "")
        return tuple(v.strip() for v in m.group(1).split(",")) if m else None


# papermill's PythonTranslator.PARAMETER_PATTERN (papermill 2.x), so that this module and
# ``papermill --help-notebook`` read a parameters cell the same way (tested).
_PARAMETER_PATTERN = re.compile(
    r"^(?P<target>\w[\w_]*)\s*(:\s*[\"']?(?P<annotation>\w[\w_\[\],\s]*)[\"']?\s*)?=\s*"
    r"(?P<value>.*?)(\s*#\s*(type:\s*(?P<type_comment>[^\s]*)\s*)?(?P<help>.*))?$")


def parse_parameters_source(src: str) -> list[tuple[str, str, str, str]]:
    """(name, type name, default source, help) per parameter, as papermill infers them.

    The same algorithm as papermill's ``PythonTranslator.inspect`` (lines grouped by
    assignment, comment-only and blank lines skipped, help from the trailing comment),
    without importing papermill and nbformat, whose imports cost about three seconds
    (jsonschema format checkers) on every no-change rebuild.
    """
    def flatten(acc: list[str]) -> str:
        flat = ""
        for line in acc[:-1]:
            flat += line[:line.index("#")].strip() if "#" in line else line.strip()
        if acc:
            flat += acc[-1].strip()
        return flat

    groups, acc = [], []
    for line in src.splitlines():
        if not line.strip() or line.strip().startswith("#"):
            continue
        n_equal = line.count("=")
        if n_equal > 0:
            groups.append(flatten(acc))
            acc = []
            if n_equal > 1:
                continue
        acc.append(line)
    groups.append(flatten(acc))
    out = []
    for definition in groups:
        match = _PARAMETER_PATTERN.match(definition) if definition else None
        if match is None or match.group("target") is None:
            continue
        kind = str(match.group("annotation") or match.group("type_comment") or None)
        out.append((match.group("target").strip(), kind.strip(),
                    str(match.group("value")).strip(), str(match.group("help") or "").strip()))
    return out


def inspect_parameters(notebook: Path) -> dict[str, Parameter]:
    """Read a notebook's declared parameters (the cell tagged ``parameters``): the
    notebook model's :meth:`runspine.notebook_file.StudyNotebook.parameters`.

    Raises
    ------
    ParameterError
        Unreadable notebook, no cell tagged ``parameters``, or a parameter without a
        supported type annotation or with a non-literal default.
    """
    from runspine.notebook_file import StudyNotebook

    return StudyNotebook.read(notebook).parameters()


def parameters_from_source(src: str, label: str = "parameters cell") -> dict[str, Parameter]:
    """The parameters a parameters cell's source declares (:func:`inspect_parameters`
    reads the cell from a notebook file; a notebook's own set-up call reads it from the
    kernel's input history). Errors are :class:`ParameterError` prefixed by ``label``."""
    out: dict[str, Parameter] = {}
    parsed = parse_parameters_source(src)
    skipped = _skipped_declaration(src, {name for name, *_ in parsed})
    if skipped:
        raise ParameterError(f"{label}: parameters cell line {skipped[0]} declares "
                             f"'{skipped[1]}', but a line with a second '=' (here, in its "
                             "comment?) is not read as a parameter (as papermill reads it); "
                             "remove the extra '='")
    for name, kind, default_src, help_text in parsed:
        kind = kind.replace(" ", "").replace("List[", "list[")
        if kind not in SUPPORTED:
            raise ParameterError(f"{label}: parameter '{name}' needs a type "
                                 f"annotation, one of {', '.join(SUPPORTED)} (got {kind})")
        try:
            default = ast.literal_eval(default_src)
        except (ValueError, SyntaxError) as exc:
            raise ParameterError(f"{label}: parameter '{name}' default "
                                 f"{default_src!r} is not a literal") from exc
        param = Parameter(name, kind, default, help_text)
        try:
            coerce(param, default)
        except ParameterError as exc:
            raise ParameterError(f"{label}: default of {exc}") from None
        out[name] = param
    return out


_DECLARATION = re.compile(r"^(\w+)\s*(:[^=#]*)?=(?!=)")


def _skipped_declaration(src: str, parsed: set[str]) -> tuple[int, str] | None:
    """(line number, name) of the first line that starts like a parameter declaration
    (``name: type = ...`` at the start of the line) but was not read as one, or None.
    papermill skips a line with more than one ``=``, so an ``=`` in a help comment made
    a parameter vanish without a word (unknown to ``-p``, missing from ``list``)."""
    for i, line in enumerate(src.splitlines(), start=1):
        m = _DECLARATION.match(line)
        if m and m.group(1) not in parsed:
            return i, m.group(1)
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _coerce_scalar(kind: str, value: Any, from_text: bool) -> Any:
    if kind == "str":
        if isinstance(value, str):
            if not utf8_text(value):  # an undecodable byte given on the command line
                raise _NotText
            return value
        raise TypeError
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if from_text and isinstance(value, str):
            low = value.strip().lower()
            if low in ("true", "yes", "1"):
                return True
            if low in ("false", "no", "0"):
                return False
        raise TypeError
    if isinstance(value, bool):
        raise TypeError
    if kind == "int":
        if from_text and isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
            if len(value.strip().lstrip("+-")) > 19:  # before int(): 5000 digits raise
                raise _OutOfRange
            value = int(value)
        if isinstance(value, int):
            if not -MAX_INT <= value <= MAX_INT:
                raise _OutOfRange
            return value
        raise TypeError
    if kind == "float":
        if isinstance(value, int) and not isinstance(value, bool):
            if not -MAX_INT <= value <= MAX_INT:
                raise _OutOfRange
            return float(value)
        if from_text and isinstance(value, str):
            text = value.strip()
            if not (_FLOAT_TEXT.fullmatch(text)  # not "1_000", "\u0661" (as an int's digits)
                    or text.lstrip("+-").lower() in ("inf", "infinity", "nan")):
                raise TypeError
            value = float(text)
        if isinstance(value, float):
            if not math.isfinite(value):  # nan, inf, and 1e999 (read as inf)
                raise _OutOfRange
            return value
        raise TypeError
    raise TypeError


#: Limits of every parameter value (README "Limits"): an ``int`` fits in 64 bits, a
#: ``float`` is finite, a list holds at most :data:`MAX_LIST` values.
MAX_INT = 2**63 - 1
MAX_LIST = 1000


class _OutOfRange(TypeError):
    """A number of the right type that no parameter may take (not finite, too big)."""


class _NotText(TypeError):
    """A string no file can hold as UTF-8 (it carries a lone surrogate)."""


def coerce(param: Parameter, value: Any, from_text: bool = False) -> Any:
    """Coerce a value to the parameter's declared type, or raise :class:`ParameterError`.

    ``from_text`` is True for command-line strings: ``"3"`` becomes 3 for an int,
    ``"[70, 85]"`` (YAML flow syntax) becomes a list.
    """
    try:
        if param.type.startswith("list["):
            inner = param.type[5:-1]
            if from_text and isinstance(value, str):
                if too_deep(value):
                    raise ValueError("nested too deeply")
                value = yaml.load(value, Loader=_StrictLoader)
            if not isinstance(value, list):
                raise TypeError
            if len(value) > MAX_LIST:
                raise ParameterError(f"parameter '{param.name}' has {len(value)} values; "
                                     f"a list parameter holds at most {MAX_LIST}")
            result = [_coerce_scalar(inner, v, from_text=False) for v in value]
            if not result:
                raise ParameterError(f"parameter '{param.name}' needs at least one value "
                                     "(an empty list)")
        else:
            result = _coerce_scalar(param.type, value, from_text)
    except ParameterError:
        raise
    except _NotText:
        raise ParameterError(f"parameter '{param.name}' is not valid text (an undecodable "
                             f"byte, shown as \\udc..): {_shown(value)}") from None
    except _OutOfRange:
        raise ParameterError(f"parameter '{param.name}' expects a finite {param.type} "
                             f"within 64 bits, got {_shown(value)}") from None
    except (TypeError, ValueError, RecursionError, yaml.YAMLError):  # (nested too deeply)
        raise ParameterError(f"parameter '{param.name}' expects {param.type}, "
                             f"got {_shown(value)}") from None
    choices = param.choices
    if choices is not None:
        for v in result if isinstance(result, list) else [result]:
            if v not in choices:
                raise ParameterError(f"parameter '{param.name}' = {v!r} is not one of "
                                     f"{{{', '.join(choices)}}}")
    bounds = param.bounds
    if bounds is not None:
        for v in result if isinstance(result, list) else [result]:
            if isinstance(v, (int, float)) and not bounds[0] <= v <= bounds[1]:
                raise ParameterError(f"parameter '{param.name}' = {v!r} is outside "
                                     f"[{bounds[0]:g}, {bounds[1]:g}]")
    return result


def _shown(value: Any) -> str:
    """A given value as a message shows it: at most 60 characters (a 5000-digit number
    or a 1000-value list is not repeated back)."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        text = f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    return text if len(text) <= 60 else text[:57] + "..."


MAX_GRID_POINTS = 1000  # points of a sweep's grid
MAX_YAML_BYTES = 1_000_000  # parameter and grid files are small; anything bigger is a mistake


class _StrictLoader(yaml.SafeLoader):
    """The safe loader, refusing aliases (``*name``: a few hundred bytes of nested aliases
    expand to gigabytes) and repeated keys in a mapping (the later one would win silently)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "aliases (*name) are not allowed", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                repeated = key in seen
            except TypeError:  # an unhashable key: the base class reports it
                break
            if repeated:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key '{key}' is repeated", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_decimal_int(self, node):
        return int(self.construct_scalar(node))


# Numbers are read as written, in decimal, whatever reads them (``-p``, a list value, a
# parameters or grid file): YAML 1.1's other readings of a number-like word are plain
# words here (refused by the parameter's type), never another number: 070 was 56
# (octal), 1:30 was 90 (base 60), 0x50 was 80, 1_00 was 100. As YAML 1.2 reads them.
_INT_TEXT = re.compile(r"[-+]?[0-9]+", re.ASCII)
_FLOAT_TEXT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?",
                         re.ASCII)
_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_StrictLoader.add_implicit_resolver(_INT, re.compile(rf"^{_INT_TEXT.pattern}$"),
                                    list("-+0123456789"))
_StrictLoader.add_implicit_resolver(_FLOAT, re.compile(
    rf"^(?:{_FLOAT_TEXT.pattern}|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))
_StrictLoader.add_constructor(_INT, _StrictLoader.construct_decimal_int)


MAX_NESTING = 100  # brackets or braces open at once in a YAML value or file


def too_deep(text: str) -> bool:
    """More than :data:`MAX_NESTING` brackets or braces open at once in ``text``: refused
    before it is parsed. The parser would recurse that deep, and near Python's recursion
    limit an object freed meanwhile can print "Exception ignored in sys.unraisablehook"
    to the terminal however the error is then caught."""
    depth = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return True
        elif ch in "]}":
            depth = max(0, depth - 1)
    return False


def load_yaml(path: Path, what: str = "parameters file") -> Any:
    """Parse a small YAML file strictly: size-limited, UTF-8, safe tags only, no aliases,
    no repeated keys. Errors are one line naming the file (:class:`ParameterError`)."""
    from runspine.text import one_line

    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise ParameterError(f"{path}: {what} is {size} bytes; at most {MAX_YAML_BYTES} "
                                 "are read")
        with open(path, "rb") as fh:  # a pipe or a device has no size: read to the limit
            data = fh.read(MAX_YAML_BYTES + 1)
        if len(data) > MAX_YAML_BYTES:
            raise ParameterError(f"{path}: {what} is over {MAX_YAML_BYTES} bytes; at most "
                                 f"{MAX_YAML_BYTES} are read")
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise ParameterError(f"{path}: {what} not found") from None
    except UnicodeDecodeError as exc:
        raise ParameterError(f"{path}: {what} is not UTF-8 (byte at offset {exc.start})") from None
    except OSError as exc:
        raise ParameterError(f"{path}: {what} cannot be read ({exc.strerror or exc})") from None
    if too_deep(text):
        raise ParameterError(f"{path}: not valid YAML (nested too deeply)")
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ParameterError(f"{path}:{where} not valid YAML ({one_line(problem)})") from None
    except RecursionError:
        raise ParameterError(f"{path}: not valid YAML (nested too deeply)") from None
    except ValueError as exc:  # a 5000-digit integer (int() refuses over 4300 digits)
        raise ParameterError(f"{path}: not valid YAML ({_first_line(exc)})") from None


def load_params_file(path: Path) -> dict[str, Any]:
    """Read a YAML mapping of parameter values (:func:`load_yaml`)."""
    path = Path(path)
    data = load_yaml(path, "parameters file")
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise ParameterError(f"{path}: expected a mapping of parameter names to values")
    return data


def load_grid(path: Path) -> dict[str, list]:
    """Read a sweep grid (``runspine sweep --grid``): a YAML mapping ``name: [value,
    ...]`` (a scalar means one value), each list non-empty and without repeats, with at
    most :data:`MAX_GRID_POINTS` points (the product of the lists' lengths, counted
    without making them: three lists of 1,000 values are 10^9 points, and making them
    exhausted the memory). Errors name the file (:func:`load_yaml`)."""
    path = Path(path)
    data = load_yaml(path, "grid file")
    if not isinstance(data, dict) or not data:
        raise ParameterError(f"grid file {path} must be a mapping of parameter names to "
                             "lists of values")
    grid = {str(name): values if isinstance(values, list) else [values]
            for name, values in data.items()}
    count = math.prod(len(values) for values in grid.values())
    if count > MAX_GRID_POINTS:  # before each value's checks
        sizes = " x ".join(f"{len(v):,}" for v in grid.values())
        raise ParameterError(f"grid file {path} has {sizes} = {count:,} points; a sweep "
                             f"runs at most {MAX_GRID_POINTS:,}")
    for name, values in grid.items():
        if not values:
            raise ParameterError(f"grid file {path}: parameter '{name}' has an empty list")
        if len({json.dumps(v, sort_keys=True) for v in values}) != len(values):
            raise ParameterError(f"grid file {path}: parameter '{name}' lists a value twice")
    return grid


def fmt(value) -> str:
    """A grid value as text (in point names and the summary)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "-".join(fmt(v) for v in value)
    return str(value)


_UNSAFE = re.compile(r"[^A-Za-z0-9._+=-]")


def point_name(grid_values: dict) -> str:
    """Directory name of a sweep's point: ``name=value`` pairs joined by ``__``, file-safe;
    past 200 characters, its first 183 and 16 hex digits of the whole text's SHA-256
    (points that differ only after the cut keep names of their own)."""
    text = "__".join(f"{k}={fmt(v)}" for k, v in grid_values.items())
    name = _UNSAFE.sub("_", text)
    if len(name) <= 200:
        return name
    import hashlib

    return f"{name[:183]}~{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def resolve(declared: dict[str, Parameter], given: dict[str, Any],
            from_text: bool = False) -> dict[str, Any]:
    """Full parameter set: defaults overridden by the given values, all type-checked."""
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ParameterError(unknown_parameter(unknown[0], declared))
    values = {name: p.default for name, p in declared.items()}
    for name, value in given.items():
        values[name] = coerce(declared[name], value, from_text=from_text)
    return values


def unknown_parameter(name: str, declared) -> str:
    """The one-line message for a parameter name the notebook does not declare: the
    closest declared name if one is close, else the declared names."""
    import difflib

    close = difflib.get_close_matches(name, list(declared), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(sorted(declared))}"
    return f"unknown parameter '{name}' ({hint})"


def is_declaration(src: str) -> bool:
    """True if ``src`` reads as a parameters cell: at least one parameter, every one with
    a supported type annotation (``rho: float = 0.5``); an injected or ordinary cell
    (``rho = 0.8``) is not one."""
    try:
        parsed = parse_parameters_source(src)
    except Exception:  # noqa: BLE001 - not a cell this parser understands
        return False
    kinds = [kind.replace(" ", "").replace("List[", "list[") for _, kind, _, _ in parsed]
    return bool(kinds) and all(kind in SUPPORTED for kind in kinds)


def check_values(declared: dict[str, Parameter], namespace: dict[str, Any],
                 given: tuple[str, ...] | list[str] | set[str] = ()) -> dict[str, Any]:
    """Check the values a kernel holds against the declarations, as the CLI checks the
    values it is given (:func:`coerce`: type, range, allowed values); returns them
    coerced (an int given for a float becomes a float, as on the command line).

    ``given`` are the names a runner set (papermill's injected-parameters cell): a name
    the notebook does not declare is an error naming the closest declared one.
    """
    for name in sorted(given):
        if name not in declared:
            raise ParameterError(unknown_parameter(name, declared))
    values = {}
    for name, param in declared.items():
        if name not in namespace:
            raise ParameterError(f"parameter '{name}' is not set (run the parameters cell "
                                 "first)")
        values[name] = coerce(param, namespace[name])
    return values
