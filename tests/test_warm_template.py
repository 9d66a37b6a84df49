"""A kernel template kept warm from one in-process build to the next
(``runspine.engine.kept_warm``): many builds in one process import the scientific stack
once; every notebook still runs in a new kernel process, killed when it ends."""

from __future__ import annotations

import sys

import pytest

from conftest import alive, assert_gone, make_scratch, write_study_notebook

pytestmark = [pytest.mark.skipif(sys.platform != "linux", reason="kernels fork on Linux only"),
              pytest.mark.usefixtures("templates_set_aside")]

STEM = "00_probe"
PID_CELL = ("if pid_file:\n    with open(pid_file, 'a') as fh:\n"
            "        fh.write(f'{os.getpid()}\\n')")


def light_project(path, imports: str = "os"):
    """A scratch project whose notebook imports only ``imports`` and writes its kernel's
    pid to ``pid_file``: its template imports the kernel's own code and nothing more
    (the probe notebook's would import pandas; what a template imports is not what these
    tests are about, only whether it is shared, set aside or stopped)."""
    root = make_scratch(path, ())
    write_study_notebook(root / "notebooks" / f"{STEM}.ipynb", "Light probe",
                         "pid_file: str = ''  # where the kernel writes its pid\n",
                         [f"import {imports}\n{PID_CELL}"], {"citation": "Probe 2026"})
    return root


def _pids(path) -> list[int]:
    return [int(x) for x in path.read_text().split()]


def _build(main_in, root, reports, pid_file):
    proc = main_in("run", STEM, "--reports", str(reports), "--jobs", "1",
                   "-p", "pid_file", str(pid_file), root=root)
    assert proc.returncode == 0, proc.stderr
    assert (reports / STEM / "report.html").exists()


def test_builds_in_one_process_share_a_template_and_never_a_kernel(
        tmp_path, main_in, monkeypatch):
    """Within ``kept_warm``: two builds, of two projects whose notebooks import the same
    modules, are served by one template; each notebook got a kernel of its own, gone
    when its build ended; a project whose notebooks import another module gets another
    template, and the first is set aside for the next build that needs it; leaving the
    block stops them all."""
    from runspine.engine import kept_warm
    from runspine.engine import template as owner

    monkeypatch.setattr(owner, "_KEPT", [0])  # outside the session's warm template
    monkeypatch.setattr(owner, "_SPARES", {})
    owner.stop_template()
    one, two = light_project(tmp_path / "one"), light_project(tmp_path / "two")
    pid_file = tmp_path / "pids"
    with kept_warm():
        _build(main_in, one, tmp_path / "r1", pid_file)
        first = owner.template().proc
        assert first is not None and alive(first.pid)
        _build(main_in, two, tmp_path / "r2", pid_file)
        assert owner.template().proc is first and alive(first.pid)
        kernels = _pids(pid_file)
        assert len(set(kernels)) == 2 and first.pid not in kernels
        assert_gone(kernels, "kernel")

        other = light_project(tmp_path / "other", "os, json")
        _build(main_in, other, tmp_path / "r3", pid_file)
        second = owner.template().proc
        assert second is not None and second.pid != first.pid
        assert alive(first.pid) and list(owner._SPARES) != []  # set aside, not stopped
        _build(main_in, one, tmp_path / "r4", pid_file)
        assert owner.template().proc is first  # taken back
        assert alive(second.pid)
    assert owner.template().proc is None and not owner._SPARES
    assert_gone([first.pid, second.pid], "template after kept_warm")


def test_at_most_two_templates_are_set_aside(tmp_path, main_in, monkeypatch):
    """Four projects importing four sets of modules, one build each: the two set aside
    longest ago are stopped (the current one and two spares are kept)."""
    from runspine.engine import kept_warm
    from runspine.engine import template as owner

    monkeypatch.setattr(owner, "_KEPT", [0])
    monkeypatch.setattr(owner, "_SPARES", {})
    owner.stop_template()
    procs = []
    with kept_warm():
        for i, module in enumerate(("json", "csv", "heapq", "bisect")):
            root = make_scratch(tmp_path / f"p{i}", ())
            write_study_notebook(root / "notebooks" / f"{STEM}.ipynb", "Imports",
                                 "pid_file: str = ''  # unused\n", [f"import {module}"],
                                 {"citation": "Probe 2026"})
            _build(main_in, root, tmp_path / f"r{i}", tmp_path / "pids")
            procs.append(owner.template().proc)
        assert len({p.pid for p in procs}) == 4
        assert_gone([procs[0].pid], "template set aside longest ago")
        assert all(alive(p.pid) for p in procs[1:]) and len(owner._SPARES) == 2
    assert_gone([p.pid for p in procs], "template after kept_warm")


def test_without_kept_warm_a_build_stops_its_template(tmp_path, main_in, monkeypatch):
    """Outside ``kept_warm`` (the command, a single in-process build) the template ends
    with the build that started it."""
    from runspine.engine import template as owner

    monkeypatch.setattr(owner, "_KEPT", [0])
    owner.stop_template()
    root = light_project(tmp_path / "proj")
    started = []
    real_start = owner.Template.start

    def remember(self, env=None):
        real_start(self, env)
        if self.proc is not None and self.proc not in started:
            started.append(self.proc)

    monkeypatch.setattr(owner.Template, "start", remember)
    _build(main_in, root, tmp_path / "r", tmp_path / "pids")
    assert started and owner.template().proc is None
    assert_gone([p.pid for p in started], "template")


def test_a_kept_template_that_died_between_builds_is_replaced_without_a_notice(
        tmp_path, main_in, monkeypatch):
    """The next build starts a new template (no 'starting kernels normally' notice, its
    kernel forked): a template that dies between two builds costs nothing."""
    import os
    import signal

    from runspine.engine import kept_warm
    from runspine.engine import template as owner

    monkeypatch.setattr(owner, "_KEPT", [0])
    owner.stop_template()
    root = light_project(tmp_path / "proj")
    with kept_warm():
        _build(main_in, root, tmp_path / "r1", tmp_path / "pids")
        dead = owner.template().proc
        os.kill(dead.pid, signal.SIGKILL)
        dead.wait(timeout=10)
        proc = main_in("run", STEM, "--reports", str(tmp_path / "r2"), "--jobs", "1",
                       root=root)
        assert proc.returncode == 0, proc.stderr
        assert "starting kernels normally" not in proc.stderr
        assert owner.template().proc.pid != dead.pid


def test_a_ctrl_c_at_the_terminal_does_not_reach_the_kernel_template():
    """The terminal sends Ctrl-C to the build's whole process group. The template is not
    in it: while it was still starting its interpreter, a Ctrl-C there killed it, and an
    interrupted build said "starting kernels normally (no warm template: the template
    died during its start)" before "interrupted". The build stops it by closing its
    socket; its kernels have sessions of their own."""
    import os

    from runspine.engine import template as owner

    owner.start_template()
    pid = owner.template().proc.pid
    assert os.getpgid(pid) != os.getpgid(0) and os.getsid(pid) != os.getsid(0)
