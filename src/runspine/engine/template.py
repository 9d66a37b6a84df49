"""The kernel template's owner side: the :mod:`runspine.engine.zygote` process a build's
driver (or a Dask worker) starts, its key, and how long it lives.

:class:`Template` spawns the zygote and asks it to fork kernels (every wait ends by the
notebook's time limit); one whose :func:`template_key` is not the next build's is
replaced. A build starts this process's template early (:func:`start_template`) and
stops it at its end; within :func:`kept_warm` it lives from one build to the next.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import socket
import subprocess
import sys
import threading
import time

from runspine.engine.subreaper import TAG_VAR
from runspine.engine.zygote import receive, send

FORK_VAR = "RUNSPINE_KERNEL_FORK"
READY_TIMEOUT = 300  # seconds for the template's imports (a new machine builds font caches)
REPLY_TIMEOUT = 30


def kernel_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment kernels start with (and the template is started with, so that
    whatever a library reads from it at import time is what a kernel would read)."""
    env = dict(os.environ, PYTHONHASHSEED=os.environ.get("PYTHONHASHSEED", "0"),
               MPLBACKEND="module://matplotlib_inline.backend_inline")
    env.update(extra or {})
    return env


def template_key(env: dict[str, str]) -> str:
    """What a template's state depends on: its environment ``env`` but the project's root, the
    package code and installed distributions (:func:`~runspine.engine.cache.code_state`: cheap
    enough to ask before every kernel), and the modules the code cells of the project's notebooks
    import (with the package code, what :func:`~runspine.engine.zygote.template_imports` follows
    from them). Two projects, or two builds, with the same key share a template."""
    import hashlib
    import json

    from runspine.engine.cache import code_state
    from runspine.notebook_file import StudyNotebook
    from runspine.project import ENV_VAR, Project

    root = env.get(ENV_VAR)
    notebooks = (Project.at(root) if root else Project.current()).notebooks()
    state = [{k: v for k, v in env.items() if k != ENV_VAR}, code_state(),
             sorted({name for path in notebooks for name in StudyNotebook.read(path).imports})]
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()


def fork_unavailable() -> str | None:
    """Why kernels cannot be forked from a template here, or None."""
    if os.environ.get(FORK_VAR, "1") == "0":
        return f"{FORK_VAR}=0"
    return None if sys.platform == "linux" else f"forking kernels needs Linux (this is {sys.platform})"


class TemplateError(RuntimeError):
    """The template could not start or fork a kernel."""


class OutOfTime(RuntimeError):
    """The notebook's time limit passed while its kernel was being started (no fallback:
    the notebook fails)."""


class Template:
    """One :mod:`runspine.engine.zygote` process, owned by a build's driver or a Dask worker."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.ready = False
        self.lock = threading.Lock()
        self.key = ""  # what it imported depends on (template_key)

    def start(self, env: dict[str, str] | None = None) -> None:
        """Spawn the template with ``env`` (default: :func:`kernel_env`'s) but what differs from one
        kernel to the next (its output directory, its tag, jupyter_client's ``JPY_*``), and return
        at once (it imports while the caller goes on). A running template is kept if its
        :func:`template_key` is ``env``'s, else replaced: what it imported would be stale. Within
        :func:`kept_warm` the one replaced is set aside, and taken back by a later build with its
        key (at most :data:`SPARES` are kept)."""
        from runspine.notebook.results import ENV_VAR

        env = {k: v for k, v in (kernel_env() if env is None else env).items()
               if k not in (ENV_VAR, TAG_VAR) and not k.startswith("JPY_")}
        key = template_key(env)
        if self.proc is not None and self.key == key:
            return
        spare = _SPARES.pop(key, None)
        if _KEPT[0] and self.alive():
            aside = Template()
            aside._swap(self)
            _SPARES[aside.key] = aside
            while len(_SPARES) > SPARES:
                _SPARES.pop(next(iter(_SPARES))).stop()  # the one set aside longest ago
        else:
            self.stop()
        if spare is not None and spare.alive():
            self._swap(spare)
            return
        if spare is not None:
            spare.stop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.key = key
        atexit.unregister(stop_template)  # registered once, however many are started
        atexit.register(stop_template)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "runspine.engine.zygote", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                # a Ctrl-C at the terminal reaches the build's process group, not the
                # template (which may still be starting its interpreter): the build
                # stops it by closing the socket; its kernels have sessions of their own
                start_new_session=True)
        finally:
            theirs.close()
        self.sock = ours

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _swap(self, other: Template) -> None:
        """Exchange processes with ``other``."""
        for name in ("proc", "sock", "ready", "key"):
            mine = getattr(self, name)
            setattr(self, name, getattr(other, name))
            setattr(other, name, mine)

    def fork(self, argv: list[str], env: dict, cwd: str, log_fd: int,
             deadline: float | None = None, files: str = "") -> int:
        """Fork a kernel (``argv``: ipykernel_launcher's arguments; ``log_fd``: its stdout and
        stderr; ``files``: its temporary directory, removed when it ends); return its pid. Every
        wait ends by ``deadline`` (a :func:`time.monotonic` time; the notebook's time limit), else
        :class:`OutOfTime` (and this template, stuck or too slow, is stopped)."""
        with self.lock:
            self.start(env)
            if not self.ready:
                reply = self._receive(READY_TIMEOUT, "start", deadline)
                if not reply.get("ready"):
                    raise TemplateError(reply.get("error") or "the template did not start")
                self.ready = True
            try:
                send(self.sock, {"argv": argv, "env": env, "cwd": cwd, "files": files}, [log_fd])
            except OSError as exc:
                raise TemplateError(f"the template is gone ({exc})") from None
            try:
                reply = self._receive(REPLY_TIMEOUT, "fork", deadline)
            except BaseException:  # interrupted mid-exchange: its reply would confuse the
                self.stop()        # next request, so this template is done
                raise
            if "pid" not in reply:
                raise TemplateError(reply.get("error") or "the template did not fork")
            return reply["pid"]

    def _receive(self, timeout: float, what: str, limit: float | None = None) -> dict:
        """The template's next message (:func:`~runspine.engine.zygote.receive`) within ``timeout``
        seconds of its ``what`` ("start" or "fork"), else :class:`TemplateError`; past ``limit`` (a
        :func:`time.monotonic` time), :class:`OutOfTime`, and the template is stopped."""
        until = time.monotonic() + timeout
        limit = float("inf") if limit is None else limit
        while (left := min(until, limit) - time.monotonic()) > 0:
            if select.select([self.sock], [], [], left)[0]:
                reply, _ = receive(self.sock)
                if reply is None:  # it closed the socket: it is gone
                    raise TemplateError(f"the template died during its {what}")
                return reply
        if time.monotonic() < limit:
            raise TemplateError(f"the template's {what} took longer than {timeout:g} s")
        self.stop()  # stuck or too slow: the next kernel gets a new template
        raise OutOfTime("the kernel template did not " + (
            "become ready" if what == "start" else "fork the kernel") + " in time")

    def stop(self) -> None:
        """Close the socket (the template then kills its kernels and exits) and make
        sure it is gone. Safe from a signal handler and more than once."""
        sock, self.sock = self.sock, None
        proc, self.proc = self.proc, None
        self.ready = False
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=1)  # it sees the socket close, kills its kernels, exits
            with contextlib.suppress(Exception):  # else still importing (no kernels yet)
                proc.kill()
                proc.wait(timeout=10)


_TEMPLATE = Template()  # this process's (not started until a build needs it)
SPARES = 2  # templates of other keys kept aside within kept_warm (a test session's
#             probe projects and the studies' notebooks import different modules)
_SPARES: dict[str, Template] = {}


def template() -> Template:
    """This process's template."""
    return _TEMPLATE


def start_template() -> None:
    """Start this process's template now, if kernels can be forked here (a build calls
    this first: the imports overlap its data validation), replacing one kept from an
    earlier build that has died since (one that dies during a build fails a fork). A
    failed start raises nothing here: the first kernel's start reports it."""
    if fork_unavailable() is None:
        with contextlib.suppress(Exception):
            if not _TEMPLATE.alive():
                _TEMPLATE.stop()
            _TEMPLATE.start()


def stop_template(unless_kept: bool = False) -> None:
    """Stop this process's template (and any kernel it still runs); with
    ``unless_kept``, not while :func:`kept_warm` holds it (the end of a build)."""
    if unless_kept and _KEPT[0]:
        return
    for tpl in [_TEMPLATE, *_SPARES.values()]:
        tpl.stop()
    _SPARES.clear()


_KEPT = [0]


@contextlib.contextmanager
def kept_warm():
    """Keep this process's template from one build to the next while the block runs,
    and stop it at the end: a series of builds in one process (a test session, a
    researcher's loop over :func:`runspine.engine.run`) imports the scientific stack
    once. Every notebook still gets a new kernel process, killed when it ends."""
    _KEPT[0] += 1
    try:
        yield
    finally:
        _KEPT[0] -= 1
        if not _KEPT[0]:
            stop_template()
