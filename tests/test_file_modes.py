"""Published files are readable by others: they follow the umask like any tool's output.

The atomic writer writes through a temporary file, which ``mkstemp`` creates 0600; a web
server running as another user then got "Permission denied" on index.html. Every file a
build publishes must have mode 0666 less the umask (0644 under the usual umask 022).
"""

import os
import stat

import pytest

from runspine.files import atomic_write_text, current_umask


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_atomic_writer_follows_the_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        assert current_umask() == mask
        target = tmp_path / "sub" / "report.html"
        atomic_write_text(target, "<p>hi</p>\n")
        atomic_write_text(target, "<p>again</p>\n")  # replacing keeps the mode too
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert target.read_text() == "<p>again</p>\n"
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]  # no temp left


def test_every_published_file_is_world_readable(default_build):
    """The default build ran under this process's umask (022 in CI): every file in it,
    reports, results.json, tables and the manifest, is readable by others."""
    mask = current_umask()
    expected = 0o666 & ~mask
    files = [p for p in default_build.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"index.html", "claims.html", "consistency.html", "manifest.json", "report.html",
            "results.json",
            "claims.csv"} <= names, names
    wrong = {str(p.relative_to(default_build)): oct(stat.S_IMODE(p.stat().st_mode))
             for p in files if stat.S_IMODE(p.stat().st_mode) != expected}
    assert wrong == {}, f"expected {oct(expected)} under umask {oct(mask)}"

