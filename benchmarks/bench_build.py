"""Speed benchmark (a script, not a test): prints the build's ratios on the suite's notebooks.

    cold / baseline      cold `runspine run` vs sequential `papermill` + `jupyter nbconvert
                         --to html` per notebook (target <= 0.5)
    warm / cold          no-change rebuild vs cold build (target <= 0.05)
    cold / floor         cold build vs each notebook's code run as a plain Python script,
                         summed and divided by the cores (target <= 1.3)

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


def main() -> None:
    cores = os.cpu_count() or 1
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        colds, warms = [], []
        for i in range(repeats):  # a new reports directory each time: nothing to reuse
            reports = tmp / f"reports{i}"
            colds.append(timed([BIN / "runspine", "run", "--force", "--reports", reports,
                                "--jobs", str(cores)]))
            warms.append(timed([BIN / "runspine", "run", "--reports", reports, "--jobs",
                                str(cores)]))
        cold, warm = median(colds), median(warms)

        baseline = 0.0  # slow and steady: measured once
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
            total = 0.0
            for nb, script in scripts:
                env = dict(os.environ, RUNSPINE_OUTPUT_DIR=str(tmp / "floor" / nb.stem))
                total += timed([sys.executable, script], cwd=nb.parent, env=env)
            floors.append(total / cores)
        floor = median(floors)
        shutil.rmtree(tmp / "base", ignore_errors=True)

    print(f"notebooks: {len(notebooks)}, cores: {cores}, medians of {repeats} runs "
          "(baseline: one run)")
    print(f"notebooks: {len(notebooks)}, cores: {cores}")
    print("cold builds       " + " ".join(f"{c:.2f}" for c in colds))
    print("compute floors    " + " ".join(f"{f:.2f}" for f in floors))
    print(f"cold build        {cold:7.2f} s")
    print(f"warm rebuild      {warm:7.2f} s")
    print(f"CLI baseline      {baseline:7.2f} s  (sequential papermill + nbconvert)")
    print(f"compute floor     {floor:7.2f} s  (scripts, summed / cores)")
    print(f"cold / baseline   {cold / baseline:7.3f}  (target <= 0.5)")
    print(f"warm / cold       {warm / cold:7.3f}  (target <= 0.05)")
    print(f"cold / floor      {cold / floor:7.3f}  (target <= 1.3)")


if __name__ == "__main__":
    main()
