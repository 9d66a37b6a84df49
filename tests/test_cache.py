"""Cache keys (runspine.engine.cache): what makes a notebook rebuild."""

from __future__ import annotations

import subprocess
import sys


def _environment_hash(extra_path: str | None, cwd) -> str:
    append = f"sys.path.append({extra_path!r})" if extra_path else ""
    code = ("import sys\n"
            f"{append}\n"
            "from runspine.engine import cache\n"
            "print(cache.environment_hash())")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=cwd, timeout=120).stdout.strip()


def test_the_environment_key_follows_installed_versions_not_the_working_directory(tmp_path):
    """An install, upgrade or removal changes the key (a distribution's metadata directory
    name carries its version); running from another directory, even one holding an
    ``*.egg-info``, does not."""
    site = tmp_path / "site"
    (site / "examplepkg-1.0.dist-info").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "stray.egg-info").mkdir(parents=True)
    base = _environment_hash(None, tmp_path)
    assert _environment_hash(None, elsewhere) == base
    installed = _environment_hash(str(site), tmp_path)
    assert installed != base
    (site / "examplepkg-1.0.dist-info").rename(site / "examplepkg-1.1.dist-info")
    upgraded = _environment_hash(str(site), tmp_path)
    assert upgraded not in (base, installed)
