"""One connection to the ledger, whichever database holds it: SQLite in state/ or PostgreSQL.

Every statement in ledger/ is written once, in the SQL both dialects share, with `?` for its
parameters; this module is the only place that knows which database it talks to. What differs:
- placeholders (`?` for sqlite3, `%s` for psycopg) and the id column type in the schema;
- a write transaction: SQLite takes the one writer lock up front (BEGIN IMMEDIATE), PostgreSQL
  begins and lets unique constraints and row locks decide;
- a queue row is taken with FOR UPDATE SKIP LOCKED where the database has row locks.

A lost PostgreSQL connection raises LedgerUnavailable (a ReconcilerError: the environment's
fault, never the file's). The statement is not retried blindly: a write whose commit may or may
not have happened is redone by the caller's next step from the ledger's state, which is how a
file in hand is abandoned and redone. A later statement reconnects, with backoff, and never
waits for it (PostgresLedger).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from reconciler.errors import LedgerUnavailable

log = logging.getLogger(__name__)

Params = Sequence[Any]


class Row(Protocol):
    """A result row: by column name, as sqlite3.Row and psycopg's dict rows both allow."""

    def __getitem__(self, key: str) -> Any: ...

    def keys(self) -> Any: ...


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_run_id(now: datetime | None = None) -> str:
    """Run ids sort by time as text (milliseconds included, so two runs in one second keep
    their order) and stay unique across instances sharing an outbox (random hex). Here rather
    than in pipeline: the service needs them and its process never imports the stages."""
    now = now or datetime.now()
    return f"{now:%Y%m%d-%H%M%S}-{now.microsecond // 1000:03d}-{secrets.token_hex(3)}"


class Ledger:
    """A ledger connection: execute, one-row and all-rows queries, nested transactions."""

    dialect = "sqlite"

    def __init__(self) -> None:
        self._depth = 0  # nested transaction() blocks join the outermost one

    # --- what each dialect provides -------------------------------------------------------

    def _run(self, sql: str, params: Params) -> Any:
        raise NotImplementedError

    def _run_many(self, sql: str, rows: Iterable[Params]) -> None:
        raise NotImplementedError

    def _begin(self) -> None:
        raise NotImplementedError

    def _end(self, commit: bool) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _alive(self) -> bool:
        return True

    for_update_skip_locked = ""  # appended to a queue's SELECT where row locks exist

    # --- the common surface ---------------------------------------------------------------

    def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; the number of rows it changed."""
        cur = self._run(sql, params)
        return int(cur.rowcount or 0)

    def insert(self, sql: str, params: Params = ()) -> int | None:
        """Run an INSERT ... RETURNING id; the new id, or None when ON CONFLICT skipped it."""
        row = self._run(sql, params).fetchone()
        return None if row is None else int(row["id"])

    def one(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = self._run(sql, params).fetchone()
        return row

    def value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row (a count, a max); None when there is no row."""
        row = self.one(sql, params)
        return None if row is None else row[next(iter(row.keys()))]

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        return list(self._run(sql, params).fetchall())

    def many(self, sql: str, rows: Iterable[Params]) -> None:
        self._run_many(sql, rows)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Ledger]:
        """All or nothing; a block inside another joins it (the outer one commits)."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self._begin()
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._depth = 0
            if self._alive():  # a lost connection has nothing to roll back
                with contextlib.suppress(Exception):
                    self._end(commit=False)
            raise
        self._depth = 0
        self._end(commit=True)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- SQLite -------------------------------------------------------------------------------


class SqliteLedger(Ledger):
    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout=30000")  # several instances on one host share it
        # Switching a new file to WAL needs it to itself, and SQLite answers "locked" at once,
        # without waiting, when another instance is opening it at the same moment: wait here.
        retry_while_locked(lambda: conn.execute("PRAGMA journal_mode=WAL"))
        conn.execute("PRAGMA foreign_keys=ON")
        self.conn = conn

    def _run(self, sql: str, params: Params) -> Any:
        return self.conn.execute(sql, tuple(params))

    def _run_many(self, sql: str, rows: Iterable[Params]) -> None:
        self.conn.executemany(sql, (tuple(r) for r in rows))

    def _begin(self) -> None:
        # The writer lock up front: a read-then-write transaction never fails half-way with
        # "database is locked" when another instance wrote in between.
        self.conn.execute("BEGIN IMMEDIATE")

    def _end(self, commit: bool) -> None:
        self.conn.execute("COMMIT" if commit else "ROLLBACK")

    def close(self) -> None:
        self.conn.close()


def retry_while_locked(step: Callable[[], object], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# --- PostgreSQL ---------------------------------------------------------------------------


class PostgresLedger(Ledger):
    """A PostgreSQL connection that comes back by itself, without making anyone wait for it.

    Opening waits up to `patience` seconds (a service starting beside its database). Once
    open, a lost connection is tried again by the next statement, once, and then not before a
    backoff has passed (0.5 s doubling to 30 s): meanwhile every statement raises
    LedgerUnavailable at once. So the service loop never sleeps inside the ledger: it goes on
    with its rescans and its observer, holds the files in hand, and stops on SIGTERM at once.
    """

    dialect = "postgresql"
    for_update_skip_locked = " FOR UPDATE SKIP LOCKED"
    FIRST_RETRY = 0.5  # seconds after a failed reconnect; doubled each time
    LAST_RETRY = 30.0

    def __init__(self, url: str, password: str | None, *, patience: float = 60.0) -> None:
        super().__init__()
        self.url = url
        self.password = password
        self.conn: Any = None
        self._retry_in = self.FIRST_RETRY
        self._next_try = 0.0  # time.monotonic() before which no reconnect is tried
        self._open_patiently(patience)

    def _open(self) -> Any:
        import psycopg
        from psycopg.rows import dict_row

        kwargs: dict[str, Any] = {"autocommit": True, "row_factory": dict_row}
        if self.password is not None:
            kwargs["password"] = self.password
        return psycopg.connect(self.url, connect_timeout=10, **kwargs)

    def _open_patiently(self, patience: float) -> None:
        import psycopg

        delay, deadline = 0.2, time.monotonic() + patience
        while True:
            try:
                self.conn = self._open()
                return
            except psycopg.OperationalError as e:
                if time.monotonic() + delay > deadline:
                    raise LedgerUnavailable(
                        f"ledger {redact(self.url)}: cannot connect ({_first_line(e)}); "
                        "check that PostgreSQL runs and ledger.url and ledger.password_env "
                        "are right",
                        code="LEDGER_NO_CONNECTION",
                        params={"url": redact(self.url), "detail": _first_line(e)},
                    ) from None
                log.warning("ledger %s unreachable (%s); retrying", redact(self.url), e)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _reconnect(self) -> None:
        """One try when the backoff allows, else LedgerUnavailable at once."""
        import psycopg

        now = time.monotonic()
        if now < self._next_try:
            wait = f"reconnecting in {self._next_try - now:.1f} s"
            raise LedgerUnavailable(
                f"ledger {redact(self.url)}: connection lost; {wait}",
                code="LEDGER_NO_CONNECTION",
                params={"url": redact(self.url), "detail": wait},
            )
        try:
            self.conn = self._open()
        except psycopg.OperationalError as e:
            self._next_try = time.monotonic() + self._retry_in
            self._retry_in = min(self._retry_in * 2, self.LAST_RETRY)
            raise LedgerUnavailable(
                f"ledger {redact(self.url)}: cannot reconnect ({_first_line(e)}); "
                "the step is redone when it is back",
                code="LEDGER_NO_CONNECTION",
                params={"url": redact(self.url), "detail": _first_line(e)},
            ) from None
        self._retry_in, self._next_try = self.FIRST_RETRY, 0.0
        log.info("ledger %s: connected again", redact(self.url))

    def _live(self) -> Any:
        if self.conn is None or self.conn.closed:
            if self._depth:  # a transaction cannot survive its connection
                raise LedgerUnavailable(f"ledger {redact(self.url)}: connection lost")
            self._reconnect()
        return self.conn

    def _guard(self, step: Callable[[Any], Any]) -> Any:
        import psycopg

        conn = self._live()
        try:
            return step(conn)
        except psycopg.OperationalError as e:
            if not conn.closed and not _connection_gone(e):
                raise
            with contextlib.suppress(Exception):
                conn.close()
            self.conn = None
            raise LedgerUnavailable(
                f"ledger {redact(self.url)}: connection lost ({_first_line(e)}); "
                "the step is redone when it is back"
            ) from None

    def _run(self, sql: str, params: Params) -> Any:
        text = sql.replace("%", "%%").replace("?", "%s")
        return self._guard(lambda c: c.execute(text, tuple(params)))

    def _run_many(self, sql: str, rows: Iterable[Params]) -> None:
        text = sql.replace("%", "%%").replace("?", "%s")
        batch = [tuple(r) for r in rows]
        self._guard(lambda c: c.cursor().executemany(text, batch) if batch else None)

    def _alive(self) -> bool:
        return self.conn is not None and not self.conn.closed

    def _begin(self) -> None:
        self._guard(lambda c: c.execute("BEGIN"))

    def _end(self, commit: bool) -> None:
        self._guard(lambda c: c.execute("COMMIT" if commit else "ROLLBACK"))

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def _connection_gone(error: Exception) -> bool:
    state = getattr(getattr(error, "diag", None), "sqlstate", None) or ""
    # Class 08: connection exception; 57P01..57P03: the server is shutting down or starting.
    return state.startswith("08") or state in {"57P01", "57P02", "57P03"}


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def redact(url: str) -> str:
    """A URL fit for a log line: a password written into it is never shown."""
    head, sep, tail = url.partition("://")
    if not sep or "@" not in tail:
        return url
    userinfo, _, rest = tail.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return f"{head}://{user}@{rest}"


def open_url(url: str, password_env: str | None, sqlite_path: Path) -> Ledger:
    """The ledger the config names: `url` empty is SQLite at `sqlite_path`."""
    if not url:
        return SqliteLedger(sqlite_path)
    if url.startswith(("postgresql://", "postgres://")):
        password = os.environ.get(password_env) if password_env else None
        if password_env and password is None:
            raise LedgerUnavailable(
                f"ledger.password_env names {password_env}, which is not set; set it to the "
                "database password in the service's environment",
                code="LEDGER_PASSWORD_NOT_SET",
                params={"name": password_env},
            )
        return PostgresLedger(url, password)
    if url.startswith("sqlite:///"):
        return SqliteLedger(Path(url.removeprefix("sqlite:///")))
    raise LedgerUnavailable(
        f"ledger.url {redact(url)!r}: expected empty (SQLite in state/), sqlite:///PATH or "
        "postgresql://user@host/db",
        code="LEDGER_URL_UNKNOWN",
        params={"url": redact(url)},
    )
