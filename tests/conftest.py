"""Shared fixtures. Stage tests build their own small workbooks; see each test module."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from reconciler.rules import Rules, default_rules


@pytest.fixture(scope="session")
def rules() -> Rules:
    return default_rules()


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[str]:
    """The admin URL of a PostgreSQL server on loopback: $RECONCILER_TEST_POSTGRES, else a
    throwaway cluster for this session. Without PostgreSQL the tests that need it are skipped,
    except in CI (CI=true), where .ci/run installs it and a skip would hide a missing backend."""
    import os

    from postgres_server import ENV, Cluster

    if url := os.environ.get(ENV):
        yield url
        return
    try:
        import psycopg  # noqa: F401

        cluster = Cluster()
    except (ImportError, FileNotFoundError, OSError, subprocess.CalledProcessError) as e:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is needed for the ledger tests in CI: {e}")
        pytest.skip(f"no PostgreSQL here ({e}); .ci/run installs it")
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The ledger's URL, once for each backend: '' (SQLite in state/) and a fresh PostgreSQL
    database."""
    if request.param == "sqlite":
        yield ""
        return
    from postgres_server import fresh_database

    yield from fresh_database(request.getfixturevalue("postgres_admin"))
