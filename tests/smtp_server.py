"""A real SMTP server on loopback for the delivery tests: aiosmtpd's Controller on 127.0.0.1.

It keeps every message it accepts as the raw bytes that arrived, with the envelope and the
login used. `tempfail` makes it answer 451 (try again later) for chosen recipients, the way a
greylisting or overloaded server does; `reject` answers 550 (no such mailbox). Only 127.0.0.1 is ever used.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (IP subjectAltName) and its key, made with openssl."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes  # exactly as it came over the wire (dot-unstuffed)
    login: str | None

    @property
    def message(self) -> EmailMessage:
        msg = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class CollectingHandler:
    received: list[Received] = field(default_factory=list)
    tempfail: set[str] = field(default_factory=set)  # answered 451: try again later
    reject: set[str] = field(default_factory=set)  # answered 550: no such mailbox

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.tempfail:
            return "451 4.7.1 greylisted, try again later"
        if address in self.reject:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = session.auth_data.login.decode() if session.authenticated else None
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content, login)
        )
        return "250 2.0.0 accepted"


class PasswordAuthenticator:
    """Accepts exactly one username/password (AUTH PLAIN or LOGIN)."""

    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username.encode(), password.encode()

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.username
            and auth_data.password == self.password
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


class SmtpServer:
    """Start and stop a loopback server on a fixed port (so a test can bring it up later)."""

    def __init__(
        self,
        port: int,
        *,
        username: str | None = None,
        password: str = "",
        starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
    ) -> None:
        self.port = port
        self.handler = CollectingHandler()
        self._auth: dict[str, Any] = {}
        if starttls is not None:
            self._auth |= {"tls_context": starttls, "require_starttls": True}
        if implicit_tls is not None:
            self._auth["ssl_context"] = implicit_tls
        if username:
            self._auth |= {
                "authenticator": PasswordAuthenticator(username, password),
                "auth_required": True,
                # Plain AUTH is fine on loopback in a test; real servers need TLS for it.
                "auth_require_tls": False,
            }
        self._controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def start(self) -> SmtpServer:
        self._controller = Controller(self.handler, hostname=HOST, port=self.port, **self._auth)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
