"""Shared fixtures. Stage tests build their own small workbooks; see each test module."""

from __future__ import annotations

import pytest

from reconciler.rules import Rules, default_rules


@pytest.fixture(scope="session")
def rules() -> Rules:
    return default_rules()
