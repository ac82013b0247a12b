"""LibreOffice for the render tests: found, or the test skips on a developer's machine and
FAILS in CI (.ci/run installs it and sets RECONCILER_REQUIRE_SOFFICE=1), so a render test can
never pass there by not running."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is not None:
        return found
    why = "LibreOffice (soffice) is not installed: cannot check the file opens cleanly"
    if os.environ.get("RECONCILER_REQUIRE_SOFFICE") == "1":
        pytest.fail(why + " (CI requires it: .ci/run installs libreoffice-calc-nogui)")
    pytest.skip(why)


def convert(source: Path, to: str, work: Path, timeout: float = 180) -> Path:
    """`source` converted by LibreOffice (headless, its own profile under `work`) with the
    filter `to` ("csv:...", "xlsx:Calc MS Excel 2007 XML"); the converted file. A failed
    conversion fails the test with LibreOffice's own words."""
    outdir = work / "converted"
    proc = subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation=file://{work / 'lo-profile'}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(outdir),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr
    return outdir / f"{source.stem}.{to.split(':')[0]}"
