"""Speed benchmark (a script, not a test): prints the build's ratios on the suite's notebooks.

    cold / baseline      cold `runspine run` vs sequential `papermill` + `jupyter nbconvert
                         --to html` per notebook (target <= 0.5)
    warm / cold          no-change rebuild vs cold build (target <= 0.03)
    cold / floor         cold build vs each notebook's code run as a plain Python script
                         (one interpreter per notebook), summed and divided by the cores
                         (target <= 1.3)
    cold / strict floor  cold build vs each core running its share of the notebooks' code
                         as plain scripts in ONE interpreter (imports paid once per core;
                         no kernels, no rendering), wall time (target <= 1.6)
    sweep later points   sweeps of 1 and of 6 points of a notebook that does almost
                         nothing, one point at a time: (wall time of 6 - of 1) / 5, the
                         machinery's cost per point after the first (target <= 0.4)

Before each run the script waits until the 1-minute load average is below 1.0 (at most
``BENCH_WAIT`` seconds, default 300: its own previous run loads the machine too); each
ratio is printed with the highest load read before the runs of its two measurements, and
counts only if both were below 1.0 (other work on the machine distorts the floors more
than the builds).

Each figure is the median of BENCH_REPEATS runs (default 3; the slow CLI baseline runs
once): on a 2-core machine one run of the floor varies by 20 % or more.

Usage: .venv/bin/python benchmarks/bench_build.py  (or `make bench`)
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def timed(cmd, **kw) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, **kw)
    return time.perf_counter() - start


def median(values: list[float]) -> float:
    return statistics.median(values)


LOADS: dict[str, float] = {}


def quiet(what: str) -> None:
    """Wait until the 1-minute load average is below 1.0 (at most ``BENCH_WAIT`` seconds,
    default 300), then remember it as the load before a run of measurement ``what`` (the
    highest of its runs): the benchmark's own runs load the machine too."""
    limit = time.monotonic() + float(os.environ.get("BENCH_WAIT", "300"))
    while os.getloadavg()[0] >= 1.0 and time.monotonic() < limit:
        time.sleep(5)
    LOADS[what] = max(LOADS.get(what, 0.0), os.getloadavg()[0])


def load_of(*whats: str) -> str:
    """The load averages before the measurements a ratio compares, and whether it counts."""
    loads = [LOADS[w] for w in whats]
    verdict = "counts" if max(loads) < 1.0 else "does NOT count: load >= 1.0"
    return f"load {' / '.join(f'{x:.2f}' for x in loads)}, {verdict}"


def main() -> None:
    cores = os.cpu_count() or 1
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        colds, warms = [], []
        for i in range(repeats):  # a new reports directory each time: nothing to reuse
            reports = tmp / f"reports{i}"
            quiet("cold")
            colds.append(timed([BIN / "runspine", "run", "--force", "--reports", reports,
                                "--jobs", str(cores)]))
            quiet("warm")
            warms.append(timed([BIN / "runspine", "run", "--reports", reports, "--jobs",
                                str(cores)]))
        cold, warm = median(colds), median(warms)

        baseline = 0.0  # slow and steady: measured once
        quiet("baseline")
        for nb in notebooks:
            out = tmp / "base" / nb.name
            out.parent.mkdir(exist_ok=True)
            env = dict(os.environ, RUNSPINE_OUTPUT_DIR=str(tmp / "base" / nb.stem))
            baseline += timed([BIN / "papermill", nb, out, "-k", "runspine", "--cwd",
                               nb.parent], env=env)
            baseline += timed([BIN / "jupyter", "nbconvert", "--to", "html", out])

        scripts = []
        for nb in notebooks:
            script = tmp / "scripts" / f"{nb.stem}.py"
            script.parent.mkdir(exist_ok=True)
            cells = json.loads(nb.read_text())["cells"]
            code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
            script.write_text("import matplotlib\nmatplotlib.use('Agg')\n"
                              "from IPython.display import display\n" + code)
            scripts.append((nb, script))
        floors = []
        for _ in range(repeats):
            quiet("floor")
            total = 0.0
            for nb, script in scripts:
                env = dict(os.environ, RUNSPINE_OUTPUT_DIR=str(tmp / "floor" / nb.stem))
                total += timed([sys.executable, script], cwd=nb.parent, env=env)
            floors.append(total / cores)
        floor = median(floors)
        shutil.rmtree(tmp / "base", ignore_errors=True)

        # strict floor: share the notebooks out over the cores (longest first, by the
        # floor's per-notebook times) and run each share in one interpreter, all at once
        per_nb = {nb: timed([sys.executable, script], cwd=nb.parent,
                            env=dict(os.environ, RUNSPINE_OUTPUT_DIR=str(tmp / "f" / nb.stem)))
                  for nb, script in scripts}
        shares: list[list] = [[] for _ in range(cores)]
        for nb, script in sorted(scripts, key=lambda s: -per_nb[s[0]]):
            min(shares, key=lambda sh: sum(per_nb[n] for n, _ in sh)).append((nb, script))
        runners = []
        for i, share in enumerate(shares):
            runner = tmp / "strict" / f"core{i}.py"
            runner.parent.mkdir(exist_ok=True)
            jobs = [(str(nb.parent), str(tmp / "strict" / nb.stem), script.read_text())
                    for nb, script in share]
            runner.write_text(STRICT_RUNNER.format(jobs=repr(jobs)))
            runners.append(runner)
        stricts = []
        for _ in range(repeats):
            quiet("strict")
            start = time.perf_counter()
            procs = [subprocess.Popen([sys.executable, r], stdout=subprocess.DEVNULL)
                     for r in runners]
            for proc in procs:
                if proc.wait() != 0:
                    raise SystemExit("strict floor: a notebook's code failed")
            stricts.append(time.perf_counter() - start)
        strict = median(stricts)

        ones, sixes = [], []
        for _ in range(repeats):
            quiet("sweep")
            ones.append(sweep_seconds(tmp / f"s1-{_}", 1))
            quiet("sweep")
            sixes.append(sweep_seconds(tmp / f"s6-{_}", 6))
        one, six = median(ones), median(sixes)

    print(f"notebooks: {len(notebooks)}, cores: {cores}, medians of {repeats} runs "
          "(baseline: one run)")
    print("cold builds       " + " ".join(f"{c:.2f}" for c in colds))
    print("compute floors    " + " ".join(f"{f:.2f}" for f in floors))
    print(f"cold build        {cold:7.2f} s")
    print(f"warm rebuild      {warm:7.2f} s")
    print(f"CLI baseline      {baseline:7.2f} s  (sequential papermill + nbconvert)")
    print(f"compute floor     {floor:7.2f} s  (scripts, summed / cores)")
    print(f"cold / baseline   {cold / baseline:7.3f}  (target <= 0.5; "
          f"{load_of('cold', 'baseline')})")
    print(f"warm / cold       {warm / cold:7.3f}  (target <= 0.03; {load_of('warm', 'cold')})")
    print(f"strict floor      {strict:7.2f} s  (each core's share in one interpreter)")
    print(f"cold / floor      {cold / floor:7.3f}  (target <= 1.3; {load_of('cold', 'floor')})")
    print(f"cold / strict     {cold / strict:7.3f}  (target <= 1.6; "
          f"{load_of('cold', 'strict')})")
    print(f"sweep 1 / 6 points {one:6.2f} / {six:.2f} s: each later point "
          f"{(six - one) / 5:.2f} s  (target <= 0.4; {load_of('sweep')})")


STRICT_RUNNER = """import os, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from IPython.display import display
for cwd, out, code in {jobs}:
    os.chdir(cwd)
    os.environ["RUNSPINE_OUTPUT_DIR"] = out
    exec(compile(code, out, "exec"), {{"__name__": "__main__", "display": display}})
    plt.close("all")
"""


SWEEP_NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "id": "c0", "metadata": {}, "source": "# Sweep probe"},
        {"cell_type": "code", "id": "c1", "metadata": {"tags": ["parameters"]},
         "execution_count": None, "outputs": [],
         "source": "x: float = 0.5  # the swept value [0, 1]\n"},
        {"cell_type": "code", "id": "c2", "metadata": {}, "execution_count": None,
         "outputs": [], "source": "import numpy as np\nimport pandas as pd\n"
         "from runspine.notebook import results\nresults.record('x', x)\n"
         "pd.DataFrame({'x': [x], 'x2': [np.square(x)]})"},
    ],
    "metadata": {"kernelspec": {"name": "runspine", "display_name": "Python (runspine)",
                                "language": "python"},
                 "runspine": {"citation": "Benchmark 2026"}},
    "nbformat": 4, "nbformat_minor": 5,
}


def sweep_seconds(tmp: Path, points: int) -> float:
    """Wall seconds of a sweep of ``points`` points (one at a time, a new reports
    directory) of a notebook that does almost nothing."""
    root = tmp / "sweep-project"
    if not root.exists():
        (root / "notebooks").mkdir(parents=True)
        (root / "data").symlink_to(ROOT / "data")
        (root / "notebooks" / "00_sweep_probe.ipynb").write_text(json.dumps(SWEEP_NOTEBOOK))
    grid = tmp / f"grid{points}.yaml"
    grid.write_text(f"x: {[round(0.1 * (i + 1), 1) for i in range(points)]}\n")
    reports = tmp / f"sweep-reports{points}"
    return timed([BIN / "runspine", "sweep", "00", "--grid", grid, "--jobs", "1",
                  "--reports", reports], env=dict(os.environ, RUNSPINE_ROOT=str(root)))


if __name__ == "__main__":
    main()
