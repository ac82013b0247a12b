"""A throwaway PostgreSQL cluster on loopback for the ledger tests (issue 17).

$RECONCILER_TEST_POSTGRES names a running server's admin URL (.ci/run starts one); else the
Debian package's initdb and pg_ctl start a cluster in a temp folder for the session. PostgreSQL
refuses to run as root, so as root the cluster belongs to the `postgres` user. Each test gets a
database of its own, dropped afterwards.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Generator
from pathlib import Path

ENV = "RECONCILER_TEST_POSTGRES"


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """initdb + pg_ctl start in a temp folder of its own; stop() ends it and removes it.

    Not under pytest's tmp_path: that lies in a folder only root may enter."""

    def __init__(self) -> None:
        folder = Path(tempfile.mkdtemp(prefix="reconciler-pg-"))
        self.folder = folder
        bin_dir = _binaries()
        if bin_dir is None:
            raise FileNotFoundError("no PostgreSQL binaries (apt-get install postgresql)")
        self.bin = bin_dir
        self.data = folder / "data"
        self.port = _free_port()
        self.user: str | None = None
        if os.geteuid() == 0:  # postgres refuses root: the cluster belongs to `postgres`
            self.user = "postgres"
            account = pwd.getpwnam(self.user)
            folder.mkdir(parents=True, exist_ok=True)
            os.chown(folder, account.pw_uid, account.pw_gid)
        self.options = f"-p {self.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(folder / "server.log"),
            "-w",
            "-o",
            self.options,
            "start",
        )
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [str(self.bin / tool), *args],
            check=True,
            capture_output=True,
            user=self.user,
            cwd="/",
        )

    def restart(self) -> None:
        """A database restart while clients are connected (their connections are cut)."""
        log = str(self.folder / "server.log")  # not our pipe: the server outlives pg_ctl
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-m", "fast", "restart")

    def pause(self) -> None:
        """The database goes down (and stays down until resume): connections are refused."""
        self._run("pg_ctl", "-D", str(self.data), "-w", "-m", "fast", "stop")

    def resume(self) -> None:
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-o", self.options, "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-w", "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def fresh_database(admin_url: str) -> Generator[str, None, None]:
    """A new empty database on the server; its URL. Dropped afterwards."""
    import psycopg

    name = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield admin_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
