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

The measurements are made in rounds (BENCH_REPEATS, default 3; the slow CLI baseline
runs once): each round measures, one after the other, a cold build, its no-change
rebuild, the floor, the strict floor and the two sweeps, and each ratio is the median of
its rounds' ratios. The two terms of a ratio are thus measured minutes apart at most, on
the machine as it was then: on a 2-core machine one run of the floor varies by 20% or
more, and the machine's speed drifts over a run (measured one after the other, all cold
builds before all floors, the strict ratio moved from 1.46 to 1.75 between two runs of
the same build twenty minutes apart).

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
        baseline = 0.0  # slow and steady: measured once
        quiet("baseline")
        for nb in notebooks:
            out = tmp / "base" / nb.name
            out.parent.mkdir(exist_ok=True)
            env = dict(os.environ, RUNSPINE_OUTPUT_DIR=str(tmp / "base" / nb.stem))
            baseline += timed([BIN / "papermill", nb, out, "-k", "runspine", "--cwd",
                               nb.parent], env=env)
            baseline += timed([BIN / "jupyter", "nbconvert", "--to", "html", out])
        shutil.rmtree(tmp / "base", ignore_errors=True)
        scripts, runners = floor_scripts(tmp, notebooks, cores)

        rounds = []  # per round: cold, warm, floor, strict, sweep of 1, sweep of 6 points
        for r in range(repeats):  # a new reports directory each time: nothing to reuse
            reports = tmp / f"reports{r}"
            quiet("cold")
            cold = timed([BIN / "runspine", "run", "--force", "--reports", reports,
                          "--jobs", str(cores)])
            quiet("warm")
            warm = timed([BIN / "runspine", "run", "--reports", reports, "--jobs",
                          str(cores)])
            quiet("floor")
            floor = sum(timed([sys.executable, script], cwd=nb.parent,
                              env=dict(os.environ,
                                       RUNSPINE_OUTPUT_DIR=str(tmp / "floor" / nb.stem)))
                        for nb, script in scripts) / cores
            quiet("strict")
            start = time.perf_counter()
            procs = [subprocess.Popen([sys.executable, runner], stdout=subprocess.DEVNULL)
                     for runner in runners]
            if any(proc.wait() != 0 for proc in procs):
                raise SystemExit("strict floor: a notebook's code failed")
            strict = time.perf_counter() - start
            quiet("sweep")
            one = sweep_seconds(tmp / f"s1-{r}", 1)
            quiet("sweep")
            six = sweep_seconds(tmp / f"s6-{r}", 6)
            rounds.append((cold, warm, floor, strict, one, six))

    def column(i: int) -> list[float]:
        return [row[i] for row in rounds]

    def ratio(num: int, den: int) -> float:  # the median of the rounds' ratios
        return median([row[num] / row[den] for row in rounds])

    cold = median(column(0))
    later = median([(row[5] - row[4]) / 5 for row in rounds])
    print(f"notebooks: {len(notebooks)}, cores: {cores}, {repeats} rounds, each ratio the "
          "median of its rounds' ratios (baseline: one run)")
    for name, i in (("cold builds", 0), ("warm rebuilds", 1), ("compute floors", 2),
                    ("strict floors", 3), ("sweeps of 1 point", 4), ("sweeps of 6", 5)):
        print(f"{name:<18}" + " ".join(f"{x:.2f}" for x in column(i)))
    print(f"cold build        {cold:7.2f} s")
    print(f"warm rebuild      {median(column(1)):7.2f} s")
    print(f"CLI baseline      {baseline:7.2f} s  (sequential papermill + nbconvert)")
    print(f"compute floor     {median(column(2)):7.2f} s  (scripts, summed / cores)")
    print(f"strict floor      {median(column(3)):7.2f} s  (each core's share in one "
          "interpreter)")
    print(f"cold / baseline   {cold / baseline:7.3f}  (target <= 0.5; "
          f"{load_of('cold', 'baseline')})")
    print(f"warm / cold       {ratio(1, 0):7.3f}  (target <= 0.03; {load_of('warm', 'cold')})")
    print(f"cold / floor      {ratio(0, 2):7.3f}  (target <= 1.3; {load_of('cold', 'floor')})")
    print(f"cold / strict     {ratio(0, 3):7.3f}  (target <= 1.6; "
          f"{load_of('cold', 'strict')})")
    print(f"sweep 1 / 6 points {median(column(4)):6.2f} / {median(column(5)):.2f} s: each "
          f"later point {later:.2f} s  (target <= 0.4; {load_of('sweep')})")


def floor_scripts(tmp: Path, notebooks: list[Path], cores: int) -> tuple[list, list]:
    """Each notebook's code as a plain script (the floor), and one runner per core that
    runs its share of them in one interpreter (the strict floor; shared out longest
    first, by one timed run of each script)."""
    scripts = []
    for nb in notebooks:
        script = tmp / "scripts" / f"{nb.stem}.py"
        script.parent.mkdir(exist_ok=True)
        cells = json.loads(nb.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        script.write_text("import matplotlib\nmatplotlib.use('Agg')\n"
                          "from IPython.display import display\n" + code)
        scripts.append((nb, script))
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
    return scripts, runners


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
