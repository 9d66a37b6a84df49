"""The project a command works on, as a value.

A :class:`Project` is a root directory and the places runspine reads and writes inside
it. Nothing here is computed at import: the CLI resolves the project once
(:meth:`Project.find`) and passes it down; code running inside a notebook kernel (another
process) finds it with :meth:`Project.current`, from ``RUNSPINE_ROOT``, which the engine
sets for the processes it starts (:meth:`Project.environment`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from runspine.text import utf8_text

ENV_VAR = "RUNSPINE_ROOT"
#: The study notebooks in ``notebooks/``: ``NN_name.ipynb``.
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
#: What makes a directory a runspine project.
MARKER = Path("data") / "datapackage.json"
#: The package's own source (the code, not the project).
SRC_DIR = Path(__file__).resolve().parent


class ProjectError(Exception):
    """No runspine project where one was named or looked for (exit 2)."""


@dataclass(frozen=True)
class Project:
    """A runspine project: ``root`` holds ``data/``, ``notebooks/`` and, by default,
    ``reports/``."""

    root: Path

    def __post_init__(self):
        if not utf8_text(str(self.root)):  # the engine hands it to kernels, pages show it
            raise ProjectError(f"the project {str(self.root)!r:.200} has a name that is "
                               "not UTF-8 text; rename it")

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def datapackage(self) -> Path:
        return self.data_dir / "datapackage.json"

    @property
    def references_bib(self) -> Path:
        return self.data_dir / "references.bib"

    @property
    def claims_csv(self) -> Path:
        return self.data_dir / "claims.csv"

    @property
    def notebooks_dir(self) -> Path:
        return self.root / "notebooks"

    @property
    def reports_dir(self) -> Path:
        """The default reports directory (``--reports`` chooses another)."""
        return self.root / "reports"

    @property
    def studies_dir(self) -> Path:
        """The project's study modules (a checkout's own, else the installed package's)."""
        own = self.root / "src" / "runspine" / "studies"
        return own if own.is_dir() else SRC_DIR / "studies"

    def notebooks(self) -> list[Path]:
        """The study notebooks, in order. Raises :class:`ProjectError` for one whose file
        name is not printable text (a control character, bytes that are not UTF-8): its
        report, record, index card and links are named by it."""
        found = sorted(self.notebooks_dir.glob(NOTEBOOK_GLOB))
        for path in found:
            if not path.name.isprintable():
                raise ProjectError(f"notebooks/{path.name!r:.80}: a notebook's file name "
                                   "must be printable UTF-8 text; rename it")
        return found

    @classmethod
    def at(cls, root: str | os.PathLike) -> Project:
        """The project at ``root`` (resolved), whatever it holds (a link loop resolves to
        itself: not a project, rather than Path.resolve's RuntimeError)."""
        return cls(Path(os.path.realpath(root)))

    @classmethod
    def find(cls, explicit: str | os.PathLike | None = None, cwd: Path | None = None,
             environ: Mapping[str, str] | None = None) -> Project:
        """The project a command means: ``explicit`` (``--project DIR``); else
        ``RUNSPINE_ROOT``; else the working directory or the nearest parent holding
        ``data/datapackage.json``; else the checkout this package is installed from.

        An explicit choice (the option, then the variable) comes before discovery, as
        git's ``--git-dir`` and ``GIT_DIR`` come before searching upwards. Raises
        :class:`ProjectError` when a named directory is not a project.
        """
        environ = os.environ if environ is None else environ
        for given, what in ((explicit, "--project"), (environ.get(ENV_VAR), ENV_VAR)):
            if given is not None and str(given) != "":
                project = cls.at(given)
                if not (project.root / MARKER).is_file():
                    raise ProjectError(f"{what} {given}: not a runspine project (no {MARKER})")
                return project
            if given is not None:
                raise ProjectError(f"{what} is empty")
        here = Path(os.path.abspath(cwd or Path.cwd()))
        for candidate in (here, *here.parents):
            if (candidate / MARKER).is_file() and (candidate / "notebooks").is_dir():
                return cls.at(candidate)
        return cls.installed()

    @classmethod
    def installed(cls) -> Project:
        """The checkout this package was installed from (editable install)."""
        return cls.at(SRC_DIR.parents[1])

    @classmethod
    def current(cls) -> Project:
        """The project of this process: ``RUNSPINE_ROOT`` (set by the engine for the
        kernels it starts), else as :meth:`find` discovers it. Read when called."""
        root = os.environ.get(ENV_VAR)
        return cls.at(root) if root else cls.find(environ={})

    @contextlib.contextmanager
    def environment(self) -> Iterator[None]:
        """``RUNSPINE_ROOT`` names this project while the block runs, so the processes
        the engine starts (workers, kernel templates, kernels) work on it; restored
        after."""
        before = os.environ.get(ENV_VAR)
        os.environ[ENV_VAR] = str(self.root)
        try:
            yield
        finally:
            if before is None:
                os.environ.pop(ENV_VAR, None)
            else:
                os.environ[ENV_VAR] = before
