"""The kernel template ("zygote"): a process that imports the scientific stack once and
forks one fresh kernel process per notebook.

Runs as ``python -m runspine.engine.zygote FD``, started by its owner (a build's
:class:`runspine.engine.template.Template`, or a Dask worker's). It imports
:func:`template_imports`, checks that forking is safe (:func:`fork_safety_problem`), then
serves requests on the ``AF_UNIX`` ``SOCK_SEQPACKET`` socket ``FD``:

- first, once its imports are done: ``{"ready": true}``, or ``{"ready": false,
  "error": why forking is unsafe}`` (and it exits);
- request: ``{"argv": ipykernel_launcher's arguments, "env": {...}, "cwd": "...", "files":
  the kernel's temporary directory, removed when it ends}`` with one descriptor attached,
  the file the kernel's stdout and stderr go to;
- reply: ``{"pid": N}``, or ``{"error": "..."}``.

Each message is one JSON datagram (:func:`send`, :func:`receive`).

The template never runs notebook code, and is started with the kernels' environment
minus what differs per kernel, so a library reads at import what a kernel would: every
kernel starts as a normally started one would (tests/test_isolation.py compares them
byte for byte; :func:`become_kernel` says how). It exits when its owner closes the
socket (or dies), killing the kernels it forked and all they started. It is a child
subreaper: what a kernel that died left running is adopted by the template, which kills
it at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import socket
import sys
from pathlib import Path

from runspine.engine.subreaper import become_subreaper, end_orphans
from runspine.notebook_file import StudyNotebook, imports_in

#: What every kernel imports, whatever its notebook: the kernel's own code, and what its
#: start imports (the debugger, history, completion: about 0.05 s of CPU per kernel).
KERNEL_IMPORTS = ("IPython.display", "ipykernel.kernelapp", "ipykernel.ipkernel",
                  "ipykernel.zmqshell", "ipykernel.debugger", "IPython.core.completerlib",
                  "IPython.extensions.storemagic", "sqlite3")

#: Modules the template never imports, and why (what ``runspine.notebook.plots`` imports
#: is imported: a kernel that never imports it keeps the inline backend, as it should).
NOT_IMPORTED = {
    "runspine.notebook.plots": "changes matplotlib's state when imported",
    "frictionless": "the build's data validation uses it, not a kernel",
}

MAX_MESSAGE = 1 << 20


def template_imports() -> tuple[str, ...]:
    """What every notebook kernel finds already imported: the kernel's own code
    (:data:`KERNEL_IMPORTS`) and every module the project's notebooks import, except
    :data:`NOT_IMPORTED`.

    Read from the ``import`` statements of every notebook of the project (its code cells,
    not run; whichever notebooks a build runs, so every kernel of a project starts from
    the same state), followed through the project's own modules (``runspine.*``), the
    imports inside their functions included (a statistics function imports statsmodels
    when called). Derived, not listed: a new study's libraries are ready, unused ones
    never waited for.
    """
    from runspine.project import Project

    todo = [name for path in Project.current().notebooks()
            for name in StudyNotebook.read(path).imports]
    seen: dict[str, None] = {}  # in the order first seen
    while todo:
        name = todo.pop(0)
        if name not in seen:
            seen[name] = None
            if name.split(".")[0] == "runspine":  # what it imports comes next (even if it
                todo[:0] = imports_in(_module_source(name))  # is not imported itself)
    return tuple(dict.fromkeys([*(name for name in seen if name not in NOT_IMPORTED
                                  and name.split(".")[0] not in NOT_IMPORTED),
                                *KERNEL_IMPORTS]))


def _module_source(name: str) -> str:
    """The source of the project package's module ``name``, found by its path (nothing
    is imported: ``importlib.util.find_spec`` would import the parent packages, and
    with them the scientific stack); "" if ``name`` is no module file."""
    import runspine

    base = Path(runspine.__file__).parent.joinpath(*name.split(".")[1:])
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, ValueError):
            continue
    return ""


def import_stack() -> list[str]:
    """Import :func:`template_imports`'s modules; return the names that failed (the
    notebook that imports one reports it, at its own cell). Skipped, not failed: a name
    that is not a module (``b`` of ``from a import b``) and a module that is not
    installed (the notebooks' own modules are importable only beside them).

    The working directory leaves ``sys.path`` first, and for good: ``python -m
    ipykernel_launcher`` puts it first and the launcher takes it out again (IPython adds
    '' back), so a forked kernel's ``sys.path`` is a normally started one's."""
    import importlib

    if sys.path and sys.path[0] in ("", os.getcwd(), os.path.realpath(os.getcwd())):
        del sys.path[0]
    failed = []
    for name in template_imports():
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:  # that very name, or a package above it: skipped
            if not (name == exc.name or name.startswith(f"{exc.name}.")):
                failed.append(name)  # a module it imports is missing
        except Exception:  # noqa: BLE001
            failed.append(name)
    return failed


def fork_safety_problem() -> str | None:
    """Why forking this process now would be unsafe, or None."""
    import threading

    if threading.active_count() != 1:
        return f"{threading.active_count()} threads exist in the template"
    # a ZeroMQ context (pyzmq's shared one or its own) opens an eventfd as it is made, an
    # event loop an epoll: every kernel forked would share them (read from /proc: pyzmq
    # has no public way to ask whether a context exists)
    with contextlib.suppress(OSError):
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/self/fd/{fd}").startswith("anon_inode:[event"):
                    return "a ZeroMQ context or an event loop exists in the template"
    return None


def send(sock: socket.socket, message: dict, fds=()) -> None:
    """Send ``message`` with the descriptors ``fds`` attached (copies: close yours)."""
    socket.send_fds(sock, [json.dumps(message).encode()], list(fds))


def receive(sock: socket.socket) -> tuple[dict | None, list[int]]:
    """The next message and the descriptors attached to it; None once the other end has
    closed the socket (or died)."""
    data, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, 4)
    return (json.loads(data) if data else None), fds


def main(fd: int) -> None:
    """Import, report ready, then fork a kernel per request on the socket ``fd`` until
    its other end closes (see the module docstring)."""
    import gc

    # the build stops the template by closing the socket, never by a signal (it runs in a
    # session of its own); kernels get the initial disposition back
    initial_sigint = signal.signal(signal.SIGINT, signal.SIG_IGN)
    # read at import by ipykernel (the default of IPKernelApp.parent_handle): the kernel's
    # parent is this process, so the value is the same in the template and its kernels
    os.environ["JPY_PARENT_PID"] = str(os.getpid())
    sock = socket.socket(fileno=fd)
    import_stack()  # a module that fails to import fails the notebook that imports it
    problem = fork_safety_problem()
    gc.collect()
    gc.freeze()  # the imports' objects: never scanned again, pages stay shared after fork
    send(sock, {"ready": problem is None, "error": problem})
    if problem is not None:
        return
    become_subreaper()  # a dead kernel's orphans come here (end_orphans), not to init
    kernels: dict[int, str] = {}  # pid: its files' directory
    # a kernel that ends is reaped at once (no zombie waits for the next request):
    # SIGCHLD writes to a pipe the loop also waits on
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    try:
        while True:
            for pid in end_orphans(kernels):
                _remove(kernels.pop(pid, ""))  # (or an orphan it adopted)
            ready, _, _ = select.select([sock, wake_r], [], [], 5.0)
            if wake_r in ready:
                os.read(wake_r, 512)
            if sock not in ready:
                continue
            request, fds = receive(sock)
            if request is None:
                break  # the owner closed the socket, or died
            try:
                pid = os.fork()
            except OSError as exc:  # the owner starts that kernel normally
                reply = {"error": f"fork failed: {exc}"}
            else:
                if pid == 0:  # the kernel
                    code = 1
                    try:
                        signal.set_wakeup_fd(-1)
                        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                        signal.signal(signal.SIGINT, initial_sigint)
                        os.close(wake_r)
                        os.close(wake_w)
                        sock.close()
                        code = become_kernel(request, fds[0])
                    except SystemExit as exc:
                        code = exc.code if isinstance(exc.code, int) else 0
                    except BaseException:  # noqa: BLE001
                        import traceback

                        traceback.print_exc()
                    finally:
                        os._exit(code)
                kernels[pid] = request.get("files", "")
                reply = {"pid": pid}
            for f in fds:
                os.close(f)
            send(sock, reply)
    finally:  # the owner is gone: so are the kernels it did not kill, and what they started
        end_orphans()
        for files in kernels.values():
            _remove(files)


def _remove(files: str) -> None:
    """Remove a kernel's temporary directory (only one named as the engine names them)."""
    if os.path.basename(files).startswith("runspine-kernel-") and not os.path.islink(files):
        shutil.rmtree(files, ignore_errors=True)


def become_kernel(request: dict, log_fd: int) -> int:
    """In the forked child: turn into the kernel described by ``request``, as ``python
    -m ipykernel_launcher`` would start it (never returns to the template's loop)."""
    os.setsid()  # its own session and process group, as jupyter_client starts kernels
    become_subreaper()  # no process it starts leaves its tree (a double fork comes here)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])  # (sys.path: see import_stack)
    os.environ["JPY_PARENT_PID"] = str(os.getppid())  # ipykernel exits when the template goes
    np = sys.modules.get("numpy")
    if np is not None:
        np.random.seed()  # as a fresh interpreter's (``random`` reseeds itself after a fork)
    import importlib.util

    from ipykernel import kernelapp

    # the sys.argv of ``python -m ipykernel_launcher ARGS``
    sys.argv = [importlib.util.find_spec("ipykernel_launcher").origin, *request["argv"]]
    kernelapp.launch_new_instance(argv=request["argv"])
    return 0


if __name__ == "__main__":
    main(int(sys.argv[1]))
    # no teardown of everything the template imported: it ran no code that needs one, and
    # the end of every build waits for the template to be gone (0.1-0.3 s saved)
    os._exit(0)
