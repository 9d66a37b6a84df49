"""The consistency audit of the data package: every printed number a check applies to,
checked (:mod:`runspine.stats.consistency`), with where it is printed and which study
reports use it.

Which check applies to which columns is declared in ``data/datapackage.json``: a resource
may carry a ``consistency`` list, one declaration per check and group of rows::

    {"check": "grimmer", "where": {"study": "mitchell2020", "variable": "Oswestry Disability Index"},
     "granularity": 2, "scale": [0, 100],
     "why": "The Oswestry index in % is twice a sum of ten items scored 0-5."}

Common keys: ``check`` (one of :data:`CHECKS`), ``where`` (column -> value or list of
values; the rows it applies to), ``why`` (plain words: why the check applies; shown to
readers). Decimals are read from the CSV text as printed (``"1.0"`` has one); a
declaration's ``decimals`` overrides them. Per check:

``grim`` / ``grimmer`` (one row: a mean of whole-unit scores)
    ``granularity`` (the unit of one item, default 1), ``items`` (items averaged per
    person, default 1), ``scale`` ([low, high], for the largest possible SD), and the
    columns ``mean``, ``sd``, ``n`` (defaults: the same names).
``two_sample_p`` (two rows: two groups and the P printed for their difference)
    ``by`` (the column naming the group), ``groups`` ([first, second]), ``match`` (the
    columns that pair rows), columns ``mean``, ``sd``, ``n``, ``p``.
``statcheck`` (long "facts" tables: quantity / value / relation)
    ``test`` (t, F, r, chi2, z), ``statistic`` and ``p`` (quantity names), ``df1`` /
    ``df2`` (numbers) or ``df1_quantity``, ``df_why``.
``p_from_ci`` (facts) ``estimate`` and ``p`` (quantity names), ``ratio`` (true: log scale).
``interval`` (any table) columns ``estimate``, ``ci_low``, ``ci_high``; ``scale``:
    ``natural`` or ``log`` (the scale the interval should be symmetric on) or ``none``
    (skewed by construction, e.g. Wilson intervals: only "estimate inside" is checked).
``percent`` a proportion or percentage and its denominator: wide tables name the
    columns ``value``, ``n`` and optional ``count``; facts tables the quantities.
    ``unit``: ``percent`` or ``proportion``.
``sum`` (facts) ``parts`` (quantity names) add up to ``total``.

Each :class:`Finding` says what was printed, what is possible, and whether the check
flags it, passes it, or cannot fail at this precision. :func:`audit` runs every
declaration; :func:`declaration_problems` checks the declarations themselves.
"""

from __future__ import annotations

import csv
import importlib
import json
import math
import re
from dataclasses import asdict, dataclass, field

from runspine.data import DataError, read_utf8
from runspine.project import Project


class _Stats:
    """:mod:`runspine.stats.consistency`, imported when a check first runs: checking the
    declarations (``runspine check``) does not pay for scipy."""

    def __getattr__(self, name):
        return getattr(load_statistics(), name)


def load_statistics():
    """:mod:`runspine.stats.consistency`, imported now if it is not yet (a build that
    will write the consistency page imports it as it starts)."""
    return importlib.import_module("runspine.stats.consistency")


cs = _Stats()

CHECKS = {
    "grim": "Means of whole-number scores (GRIM)",
    "grimmer": "Standard deviations of whole-number scores (GRIMMER)",
    "two_sample_p": "Group means, SDs and the printed P",
    "statcheck": "Test statistics and their P (statcheck)",
    "p_from_ci": "Estimates, intervals and the printed P",
    "interval": "Intervals: symmetric, and around their estimate",
    "percent": "Percentages and their denominators",
    "sum": "Subgroups adding up to the total",
}
#: short names for terminal lines
SHORT = {"grim": "GRIM", "grimmer": "GRIMMER", "two_sample_p": "t-test P",
         "statcheck": "statcheck", "p_from_ci": "P from CI", "interval": "interval",
         "percent": "percentage", "sum": "subgroup sum"}
FLAG, OK, UNTESTABLE = "flag", "ok", "cannot fail"


@dataclass
class Finding:
    """One checked value (or group of values)."""

    check: str
    status: str            # "flag", "ok" or "cannot fail"
    resource: str
    file: str              # data/<name>.csv
    rows: list[int]        # spreadsheet rows (the header is row 1)
    study: str
    source: str            # BibTeX key
    location: str          # where in the source
    label: str             # what the value is, in words
    printed: str           # what the paper prints
    possible: str          # what the check finds possible
    detail: str            # plain-words explanation
    why: str               # why the check applies (from the declaration)
    notebooks: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        """One line for the terminal."""
        rows = ", ".join(str(r) for r in self.rows)
        return (f"{self.file} row{'s' if len(self.rows) > 1 else ''} {rows} ({self.study}, "
                f"{self.label}): {SHORT[self.check]}: printed "
                f"{self.printed}; {self.possible}")


# ------------------------------------------------------------------- reading ---------

def _descriptor(project: Project) -> dict:
    try:
        return json.loads(read_utf8(project.datapackage))
    except (OSError, ValueError) as exc:
        raise DataError(f"{project.datapackage}: cannot read ({exc})") from None


def _rows(project: Project, res: dict) -> list[dict]:
    """The resource's rows as printed (strings), each with its spreadsheet row number."""
    path = project.data_dir / res["path"]
    reader = csv.DictReader(read_utf8(path, f"data/{res['path']}").splitlines())
    return [{**row, "_row": i} for i, row in enumerate(reader, start=2)]


def _select(rows: list[dict], where: dict) -> list[dict]:
    def ok(row):
        for col, want in where.items():
            wants = want if isinstance(want, list) else [want]
            if row.get(col) not in [str(w) for w in wants]:
                return False
        return True
    return [r for r in rows if ok(r)]


def _num(text: str) -> float:
    return float(text)


def _dec(text: str, decl: dict, key: str = "decimals") -> int:
    override = decl.get(key)
    return int(override) if override is not None else cs.decimals_of(text)


def _fmt(x: float, digits: int = 3) -> str:
    """A number for people: P below 0.001 as '< 0.001', else 3 significant digits."""
    if math.isnan(x):
        return "not defined"
    if 0 < x < 0.001:
        return "< 0.001"
    return f"{x:.{digits}g}" if abs(x) < 1000 else f"{x:,.0f}"


def notebook_texts(project: Project) -> dict[str, str]:
    """Notebook stem -> its source and the source of the study modules it imports."""
    from runspine.files import read_regular

    texts = {}
    for nb in project.notebooks():
        try:  # (a named pipe is not read: it would block)
            text = read_regular(nb).decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for mod in re.findall(r"runspine\.studies import (\w+)", text):
            path = project.studies_dir / f"{mod}.py"
            if path.is_file():
                text += path.read_text(encoding="utf-8")
        texts[nb.stem] = text
    return texts


def _quoted(name: str, text: str) -> bool:
    """Whether ``text`` names ``name`` in quotes (as Python source, or inside a notebook's
    JSON, where quotes are escaped)."""
    return any(q + name + q in text for q in ('"', "'", '\\"'))


def notebooks_using(texts: dict[str, str], resource: str, study: str = "") -> list[str]:
    """The study notebooks that read ``resource`` (their source, or a study module they
    import, names it in quotes); of those, the ones that also name ``study`` when any
    does."""
    users = [stem for stem, text in texts.items() if _quoted(resource, text)]
    named = [stem for stem in users if study and _quoted(study, texts[stem])]
    return named or users


# -------------------------------------------------------------------- checks ---------

def _finding(decl, res, rows, status, label, printed, possible, detail, check=None):
    first = rows[0]
    return Finding(check or decl["check"], status, res["name"], f"data/{res['path']}",
                   [r["_row"] for r in rows], first.get("study", ""), first.get("source", ""),
                   first.get("location", ""), label, printed, possible, detail,
                   decl.get("why", ""))


def _group_label(row: dict, *cols: str) -> str:
    return ", ".join(row[c] for c in cols if row.get(c))


def _check_grim(decl, res, rows) -> list[Finding]:
    col = {k: decl.get(k, k) for k in ("mean", "sd", "n")}
    gran = float(decl.get("granularity", 1.0))
    items = int(decl.get("items", 1))
    out = []
    for row in _select(rows, decl.get("where", {})):
        mean_t, n = row[col["mean"]], int(row[col["n"]])
        mean, d = _num(mean_t), _dec(mean_t, decl)
        g = cs.grim(mean, n, d, items=items, granularity=gran)
        label = decl.get("label") or _group_label(row, "variable", "group", "quantity",
                                                  "outcome")
        printed = f"mean {mean_t} with n {n}"
        sizes = cs.grim_sizes(mean, d, range(max(2, n - 3), n + 4), items, gran)
        if not g.testable:
            out.append(_finding(decl, res, [row], UNTESTABLE, label, printed,
                                "any mean is possible at this precision",
                                f"With {n} people a mean printed to {d} decimal"
                                f"{'s' if d != 1 else ''} can take any value, so this check "
                                "cannot find an error here.", check="grim"))
        elif g.consistent:
            out.append(_finding(decl, res, [row], OK, label, printed,
                                f"possible (total {_fmt(g.sums[0] * g.step * n, 6)})",
                                "Some set of whole-unit scores has this mean.", check="grim"))
        else:
            fits = (f"; the printed mean fits n {' or '.join(str(s) for s in sizes)}"
                    if sizes else "")
            out.append(_finding(
                decl, res, [row], FLAG, label, printed,
                f"with n {n} the nearest possible means are {g.nearest[0]:.{d + 1}f} and "
                f"{g.nearest[1]:.{d + 1}f}{fits}",
                f"No {n} whole-unit scores average to {mean_t}: either the mean or the "
                f"number of people it was computed over differs from what is printed"
                f"{' (n ' + ' or '.join(map(str, sizes)) + ' would fit)' if sizes else ''}.",
                check="grim"))
        if decl["check"] == "grimmer" and row.get(col["sd"], "") != "":
            out.extend(_check_sd(decl, res, row, col, gran / items, label))
    return out


def _check_sd(decl, res, row, col, gran, label) -> list[Finding]:
    mean_t, sd_t, n = row[col["mean"]], row[col["sd"]], int(row[col["n"]])
    mean, sd = _num(mean_t), _num(sd_t)
    printed = f"mean {mean_t}, SD {sd_t}, n {n}"
    out = []
    scale = decl.get("scale")
    if scale:
        top = cs.max_sd(mean, n, float(scale[0]), float(scale[1]))
        if sd - 0.5 * 10 ** -cs.decimals_of(sd_t) > top:
            out.append(_finding(decl, res, [row], FLAG, label, printed,
                                f"the largest SD possible on {scale[0]}-{scale[1]} with this "
                                f"mean is {_fmt(top)}",
                                "No scores on this scale spread this much around this mean: "
                                "the number may be a range or a variance, not an SD.",
                                check="grimmer"))
    d_m, d_s = _dec(mean_t, decl), _dec(sd_t, decl, "decimals_sd")
    g = cs.grimmer(mean, sd, n, d_m, d_s, granularity=gran)
    if not g.grim_consistent:
        return out  # the GRIM finding says it
    if not g.consistent:
        out.append(_finding(decl, res, [row], FLAG, label, printed, "impossible: " + g.reason,
                            f"No {n} whole-unit scores with mean {mean_t} have SD {sd_t}.",
                            check="grimmer"))
    elif (n - 1) * 2 * (sd / gran) * (10 ** -d_s / gran) >= 2:
        # the sums of squares the SD's rounding allows span two whole numbers: one of each
        # evenness, so no SD this large can fail at this precision
        out.append(_finding(decl, res, [row], UNTESTABLE, label, printed,
                            "any SD this large is possible at this precision",
                            "The SD is printed too coarsely for this check to fail.",
                            check="grimmer"))
    else:
        out.append(_finding(decl, res, [row], OK, label, printed, "possible",
                            "Some set of whole-unit scores has this mean and this SD.",
                            check="grimmer"))
    return out


def _check_two_sample_p(decl, res, rows) -> list[Finding]:
    by, (first, second) = decl.get("by", "group"), decl["groups"]
    match = decl.get("match", ["study", "variable"])
    col = {k: decl.get(k, k) for k in ("mean", "sd", "n")} | {"p": decl.get("p", "p")}
    chosen = _select(rows, decl.get("where", {}))
    pairs: dict[tuple, dict] = {}
    for row in chosen:
        pairs.setdefault(tuple(row.get(c) for c in match), {})[row[by]] = row
    out = []
    for grp in pairs.values():
        if first not in grp or second not in grp:
            continue
        a, b = grp[first], grp[second]
        p_text = a[col["p"]].strip()
        if not p_text:
            continue
        rel = re.match(r"^\s*(<=|>=|<|>)?", p_text).group(1) or "="
        p = float(p_text.lstrip("<>= "))
        d = max(_dec(a[col["mean"]], decl), _dec(b[col["mean"]], decl),
                _dec(a[col["sd"]], decl), _dec(b[col["sd"]], decl))
        m1, s1, n1 = _num(a[col["mean"]]), _num(a[col["sd"]]), int(a[col["n"]])
        m2, s2, n2 = _num(b[col["mean"]]), _num(b[col["sd"]]), int(b[col["n"]])
        st = cs.two_sample_p_range(m1, s1, n1, m2, s2, n2, d, equal_var=True)
        we = cs.two_sample_p_range(m1, s1, n1, m2, s2, n2, d, equal_var=False)
        lo, hi = min(st[0], we[0]), max(st[1], we[1])
        p_half = 0.5 * 10 ** -cs.decimals_of(p_text)
        fits = {"=": lo - p_half <= p <= hi + p_half, "<": lo < p, "<=": lo <= p,
                ">": hi > p, ">=": hi >= p}[rel]
        label = a.get("variable", "") + f": {first} vs {second}"
        printed = (f"{first} {a[col['mean']]} ({a[col['sd']]}), n {n1}; {second} "
                   f"{b[col['mean']]} ({b[col['sd']]}), n {n2}; P {rel if rel != '=' else ''}"
                   f"{p_text.lstrip('<>= ')}").replace("P <", "P < ").replace("P >", "P > ")
        possible = f"t tests give P {_fmt(lo)} to {_fmt(hi)} over rounding"
        if fits:
            out.append(_finding(decl, res, [a, b], OK, label, printed, possible,
                                "A t test on the printed means and SDs gives the printed P."))
            continue
        se_p = cs.two_sample_p(m1, s1, n1, m2, s2, n2, spread="se")
        alt = []
        for k1, k2 in ((n1 - 1, n2 - 1), (n1 - 1, n2), (n1, n2 - 1), (n1 + 1, n2 + 1)):
            if min(k1, k2) < 2:
                continue
            r = cs.two_sample_p_range(m1, s1, k1, m2, s2, k2, d, equal_var=True)
            if r[0] - p_half <= p <= r[1] + p_half:
                alt.append(f"n {k1} and {k2} give P {_fmt(r[0])} to {_fmt(r[1])}, which "
                           "includes the printed P")
        extra = "; ".join(alt) if alt else f"read as SEs, the spreads give P {_fmt(se_p)}"
        out.append(_finding(
            decl, res, [a, b], FLAG, label, printed, f"{possible}; {extra}",
            f"The printed P does not follow from the printed means, SDs and group sizes "
            f"({'; '.join(alt) if alt else 'nor if the spreads were SEs'}). The group sizes "
            "used for this row may differ from the ones printed for the study."))
    return out


def _facts(rows: list[dict], study: str) -> dict[str, dict]:
    return {r["quantity"]: r for r in rows if r.get("study") == study}


def _fact(facts: dict, quantity: str, res: dict) -> dict:
    if quantity not in facts:
        raise DataError(f"data/{res['path']}: consistency declaration names quantity "
                        f"'{quantity}', which the table lacks")
    return facts[quantity]


def _check_statcheck(decl, res, rows) -> list[Finding]:
    facts = _facts(rows, decl["where"]["study"])
    stat, prow = _fact(facts, decl["statistic"], res), _fact(facts, decl["p"], res)
    df1 = (float(_fact(facts, decl["df1_quantity"], res)["value"])
           if "df1_quantity" in decl else decl.get("df1"))
    df2 = decl.get("df2")
    rel = prow.get("relation") or "="
    result = cs.statcheck(decl["test"], stat["value"], prow["value"], df1=df1, df2=df2,
                          p_comparison=rel if rel in "<>" else "=")
    test = decl["test"]
    dfs = ", ".join(str(int(x)) if float(x).is_integer() else str(x)
                    for x in (df1, df2) if x is not None)
    name = {"chi2": "chi-square", "F": "F", "t": "t", "r": "r", "z": "z"}[test]
    printed = f"{name}({dfs}) = {stat['value']}, P {rel if rel != '=' else '='} {prow['value']}"
    possible = f"P {_fmt(result.p_low)} to {_fmt(result.p_high)} over rounding"
    label = decl.get("label", stat.get("description") or decl["statistic"])
    why = decl.get("df_why", "")
    if not result.error:
        return [_finding(decl, res, [stat, prow], OK, label, printed, possible,
                         f"The printed P follows from the printed statistic. {why}".strip())]
    detail = (f"The printed P does not follow from {name} = {stat['value']} with "
              f"{dfs} degrees of freedom{' (' + why + ')' if why else ''}.")
    if result.decision_error:
        detail += " The two are on opposite sides of 0.05."
    if decl.get("try_df"):
        fits = [k for k in decl["try_df"]
                if not cs.statcheck(test, stat["value"], prow["value"], df2=k,
                                    p_comparison=rel if rel in "<>" else "=").error]
        if fits:
            possible += f"; {', '.join(map(str, fits))} degrees of freedom fit the printed P"
            detail += (f" With {' or '.join(map(str, fits))} degrees of freedom it does, "
                       "i.e. one person fewer than printed.")
    return [_finding(decl, res, [stat, prow], FLAG, label, printed, possible, detail)]


def _check_p_from_ci(decl, res, rows) -> list[Finding]:
    facts = _facts(rows, decl["where"]["study"])
    est, prow = _fact(facts, decl["estimate"], res), _fact(facts, decl["p"], res)
    d = max(cs.decimals_of(est[k]) for k in ("value", "ci_low", "ci_high"))
    r = cs.p_from_ci(_num(est["value"]), _num(est["ci_low"]), _num(est["ci_high"]), d,
                     ratio=bool(decl.get("ratio")))
    rel = prow.get("relation") or "="
    p = float(prow["value"])
    half = 0.5 * 10 ** -cs.decimals_of(prow["value"])
    fits = {"=": r.p_min - half <= p <= r.p_max + half, "<": r.p_min < p,
            ">": r.p_max > p}.get(rel, True)
    printed = f"{est['value']} ({est['ci_low']} to {est['ci_high']}), P {rel} {prow['value']}"
    possible = f"the interval gives P {_fmt(r.p_min)} to {_fmt(r.p_max)} over rounding"
    label = decl.get("label", est.get("description") or decl["estimate"])
    if fits:
        return [_finding(decl, res, [est, prow], OK, label, printed, possible,
                         "The printed P follows from the interval.")]
    return [_finding(decl, res, [est, prow], FLAG, label, printed, possible,
                     "The printed P does not follow from the printed interval.")]


def _check_interval(decl, res, rows) -> list[Finding]:
    col = {k: decl.get(k, k) for k in ("estimate", "ci_low", "ci_high")}
    scale = decl.get("scale", "natural")
    out = []
    for row in _select(rows, decl.get("where", {})):
        texts = [row.get(col[k], "") for k in ("estimate", "ci_low", "ci_high")]
        if any(t.strip() == "" for t in texts):
            continue
        e, lo, hi = (_num(t) for t in texts)
        d = max(cs.decimals_of(t) for t in texts)
        if decl.get("decimals") is not None:  # trailing zeros the table lost
            d = int(decl["decimals"])
            texts = [f"{x:.{d}f}" for x in (e, lo, hi)]
        label = (row.get("description") or _group_label(
            row, "comparison", "outcome", "instrument", "cohort", "week")
            or row.get("group", ""))
        printed = f"{texts[0]} ({texts[1]} to {texts[2]})"
        if not cs.estimate_inside(e, lo, hi):
            out.append(_finding(decl, res, [row], FLAG, label, printed,
                                "an interval contains its estimate",
                                "The estimate lies outside its own interval (or the limits "
                                "are swapped)."))
            continue
        if scale == "none":
            out.append(_finding(decl, res, [row], OK, label, printed,
                                "estimate inside its interval",
                                "The estimate lies inside its interval (this kind of interval "
                                "is lopsided by construction, so symmetry is not checked)."))
            continue
        sym = cs.ci_symmetry(e, lo, hi, d)
        good = sym.symmetric_log if scale == "log" else sym.symmetric_natural
        where = "on the log scale" if scale == "log" else ""
        if good:
            out.append(_finding(decl, res, [row], OK, label, printed,
                                f"symmetric {where} within rounding".replace("  ", " "),
                                "The interval is estimate plus or minus the same margin, as "
                                "expected."))
            continue
        lower, upper = e - lo, hi - e
        detail = (f"The interval reaches {_fmt(lower)} below the estimate and "
                  f"{_fmt(upper)} above it, more lopsided than rounding allows")
        possible = "a symmetric interval " + (where or "(estimate ± the same margin)")
        if scale == "natural" and "null" in decl:  # a difference: P against no difference
            whole = cs.p_from_ci(e, lo, hi, d)
            halves = cs.p_from_ci_halves(e, lo, hi)
            possible += (f"; P from the whole width {_fmt(whole.p)} ({_fmt(whole.p_min)} to "
                         f"{_fmt(whole.p_max)}), from the lower half {_fmt(halves[0])}, from "
                         f"the upper half {_fmt(halves[1])}")
            detail += (". An SE taken from the width gives a different P from either half: "
                       "one of the three printed numbers may be mistyped.")
        else:
            detail += " on the log scale." if scale == "log" else "."
        out.append(_finding(decl, res, [row], FLAG, label, printed, possible, detail))
    return out


def _check_percent(decl, res, rows) -> list[Finding]:
    factor = 100.0 if decl.get("unit", "percent") == "percent" else 1.0
    out = []
    if "quantities" in decl:  # facts table
        facts = _facts(rows, decl["where"]["study"])
        items = []
        for spec in decl["quantities"]:
            v, n = _fact(facts, spec["value"], res), _fact(facts, spec["n"], res)
            items.append(([v, n], v["value"], int(float(n["value"])), None,
                          v.get("description") or spec["value"]))
    else:
        col = {k: decl.get(k, k) for k in ("value", "n", "count")}
        items = [([row], row[col["value"]], int(row[col["n"]]),
                  row.get(col["count"]) or None,
                  _group_label(row, "group", "prevalence_type"))
                 for row in _select(rows, decl.get("where", {}))
                 if row.get(col["value"]) and row.get(col["n"])]
    for used, v_text, n, count, label in items:
        value, d = _num(v_text), _dec(v_text, decl)
        counts = [c for c in cs.grim(value, n, d, granularity=factor).sums if 0 <= c <= n]
        unit = "%" if factor == 100 else ""
        printed = f"{v_text}{unit} of {n}" + (f" ({count} cases)" if count else "")
        if 10 ** -d * (1 + 1e-9) >= factor / n:
            out.append(_finding(decl, res, used, UNTESTABLE, label, printed,
                                "any value is possible at this precision",
                                "With this many people every printed value is possible."))
        elif not counts:
            near = math.floor(value * n / factor)
            out.append(_finding(
                decl, res, used, FLAG, label, printed,
                f"{near} of {n} is {_fmt(100 * near / n, 4)}%, {near + 1} of {n} is "
                f"{_fmt(100 * (near + 1) / n, 4)}%",
                f"No whole number of people out of {n} gives {v_text}{unit}: the "
                "denominator behind the percentage is not the one printed."))
        elif count is not None and int(float(count)) not in counts:
            out.append(_finding(decl, res, used, FLAG, label, printed,
                                f"{' or '.join(map(str, counts))} of {n}",
                                "The count does not give the printed percentage."))
        else:
            out.append(_finding(decl, res, used, OK, label, printed,
                                f"{' or '.join(map(str, counts))} of {n}",
                                "A whole number of people gives this percentage."))
    return out


def _check_sum(decl, res, rows) -> list[Finding]:
    facts = _facts(rows, decl["where"]["study"])
    parts = [_fact(facts, q, res) for q in decl["parts"]]
    total = _fact(facts, decl["total"], res)
    diff = cs.subgroups_sum([float(p["value"]) for p in parts], float(total["value"]))
    printed = " + ".join(p["value"] for p in parts) + f" vs total {total['value']}"
    label = decl.get("label", total.get("description") or decl["total"])
    if diff == 0:
        return [_finding(decl, res, [*parts, total], OK, label, printed, "they add up",
                         "The subgroups add up to the total.")]
    return [_finding(decl, res, [*parts, total], FLAG, label, printed,
                     f"the parts add up to {_fmt(float(total['value']) - diff, 6)}",
                     f"The subgroups {'fall short of' if diff > 0 else 'exceed'} the total by "
                     f"{_fmt(abs(diff), 6)}.")]


RUNNERS = {"grim": _check_grim, "grimmer": _check_grim, "two_sample_p": _check_two_sample_p,
           "statcheck": _check_statcheck, "p_from_ci": _check_p_from_ci,
           "interval": _check_interval, "percent": _check_percent, "sum": _check_sum}
_FACTS_ONLY = {"statcheck", "p_from_ci", "sum"}


def checked_resources(project: Project) -> list[str]:
    """The resources that declare consistency checks."""
    return [r.get("name", "") for r in _descriptor(project).get("resources", [])
            if r.get("consistency")]


def uses_checked_data(project: Project, stems) -> bool:
    """Whether any of these notebooks reads a table that declares checks (cheap: no
    statistics are computed)."""
    checked = checked_resources(project)
    texts = notebook_texts(project)
    return any(_quoted(res, texts.get(stem, "")) for stem in stems for res in checked)


def declaration_problems(project: Project | None = None) -> list[str]:
    """One line per malformed ``consistency`` declaration (unknown check, missing keys,
    a ``where`` column the table lacks)."""
    project = project or Project.current()
    problems = []
    for res in _descriptor(project).get("resources", []):
        decls = res.get("consistency", [])
        shown = f"data/datapackage.json resource '{res.get('name')}'"
        if not isinstance(decls, list):
            problems.append(f"{shown}: 'consistency' must be a list of declarations")
            continue
        try:
            header = set(_rows(project, res)[0]) if decls else set()
        except (DataError, IndexError, OSError):
            continue  # the data validation reports an unreadable table
        for i, decl in enumerate(decls, start=1):
            where = f"{shown} consistency #{i}"
            if not isinstance(decl, dict) or decl.get("check") not in CHECKS:
                problems.append(f"{where}: 'check' must be one of {', '.join(CHECKS)}")
                continue
            if not decl.get("why"):
                problems.append(f"{where}: 'why' (plain words for readers) is missing")
            for col in decl.get("where", {}):
                if col not in header:
                    problems.append(f"{where}: 'where' names column '{col}', which the "
                                    "table lacks")
            if decl["check"] in _FACTS_ONLY and "quantity" not in header:
                problems.append(f"{where}: '{decl['check']}' applies to facts tables "
                                "(study, quantity, value)")
            if decl["check"] in _FACTS_ONLY and "study" not in decl.get("where", {}):
                problems.append(f"{where}: '{decl['check']}' needs 'where': {{'study': ...}}")
    return problems


def audit(project: Project | None = None) -> list[Finding]:
    """Run every declared check over the data package, in declaration order."""
    project = project or Project.current()
    texts = notebook_texts(project)
    problems = declaration_problems(project)
    if problems:
        raise DataError(problems[0])
    findings: list[Finding] = []
    for res in _descriptor(project).get("resources", []):
        decls = res.get("consistency", [])
        if not decls:
            continue
        rows = _rows(project, res)
        for decl in decls:
            try:
                found = RUNNERS[decl["check"]](decl, res, rows)
            except (KeyError, ValueError, TypeError) as exc:
                raise DataError(f"data/datapackage.json resource '{res['name']}': consistency "
                                f"check '{decl['check']}' cannot run ({type(exc).__name__}: "
                                f"{exc})") from None
            for f in found:
                f.notebooks = notebooks_using(texts, res["name"], f.study)
            findings.extend(found)
    return findings


def flags(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.status == FLAG]


def notes_for(resource: str, study: str | None = None,
              project: Project | None = None) -> list[Finding]:
    """The flags on one resource (and study): what a study report shows beside the
    numbers it uses."""
    return [f for f in flags(audit(project))
            if f.resource == resource and (study is None or f.study == study)]


def notes_html(found: list[Finding], page: str = "../consistency.html") -> str:
    """The flags as an HTML note for a study report (every data string escaped), linking
    the reader page; a sentence saying so when there is none."""
    import html

    from runspine.bibliography import cite_text

    def e(text) -> str:  # escaped, BibTeX keys as "Author year"
        return html.escape(cite_text(str(text)), quote=True)

    if not found:
        return (f'<div class="runspine-note"><p><b>Are the printed numbers consistent?</b> '
                f'Every check that applies to the numbers used here passes (<a href="{page}">'
                "all checks</a>).</p></div>")
    items = "".join(
        f"<li><b>{e(f.label)}</b> ({e(SHORT[f.check])}): printed {e(f.printed)}; "
        f"{e(f.possible)}. <span class=\"runspine-source\">{e(f.file)}, row"
        f"{'s' if len(f.rows) > 1 else ''} {e(', '.join(map(str, f.rows)))}</span></li>"
        for f in found)
    return (f'<div class="runspine-note"><p><b>Are the printed numbers consistent?</b> '
            f"{len(found)} of the printed numbers used here cannot all be true as printed "
            f'(<a href="{page}">what each check means</a>):</p><ul>{items}</ul></div>')


def show_notes(resources: list[str], study: str | None = None,
               project: Project | None = None) -> list[Finding]:
    """In a study notebook: show the consistency flags on the values it uses (``resources``,
    optionally one ``study``), and return them."""
    from IPython.display import HTML, display

    found = [f for f in flags(audit(project))
             if f.resource in resources and (study is None or f.study == study)]
    display(HTML(notes_html(found)))
    return found
