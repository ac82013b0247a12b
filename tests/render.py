"""LibreOffice for the render tests: found, or the test skips on a developer's machine and
FAILS in CI (.ci/run installs it and sets RECONCILER_REQUIRE_SOFFICE=1), so a render test can
never pass there by not running."""

from __future__ import annotations

import os
import shutil

import pytest


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is not None:
        return found
    why = "LibreOffice (soffice) is not installed: cannot check the file opens cleanly"
    if os.environ.get("RECONCILER_REQUIRE_SOFFICE") == "1":
        pytest.fail(why + " (CI requires it: .ci/run installs libreoffice-calc-nogui)")
    pytest.skip(why)
