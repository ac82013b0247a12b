"""Handing stored messages to the SMTP server through yagmail, without surprises.

yagmail (the project's mail package) is used as the connection: it opens smtplib.SMTP or
SMTP_SSL, does STARTTLS and the login. It is not used to build messages (its builder turns
newlines into <br> and runs premailer), and not its send(): that sleeps and retries on its own
and returns False instead of raising. We give the connection the exact bytes of the stored .eml.

Never a prompt: yagmail asks the keyring and then getpass for a missing password, which hangs a
service. The password comes only from the environment variable named by mail.smtp.password_env,
and `_NoPromptSMTP.handle_password` refuses to look anywhere else. With no username, yagmail's
smtp_skip_login connects without AUTH (an internal relay that trusts the network). yagmail
appends "@gmail.com" to a login name without "@": the configured name is put back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import ssl
from email.utils import parseaddr
from typing import Any

from reconciler.config import Config
from reconciler.errors import DeliveryError

log = logging.getLogger(__name__)


class ConnectionFailed(DeliveryError):
    """Connecting or logging in failed: every other message of this round would fail the same."""


class Rejected(DeliveryError):
    """The server refused this message for good (5xx after MAIL/RCPT/DATA): retrying is futile."""


def describe(config: Config) -> str:
    smtp = config.mail.smtp
    return f"smtp {smtp.host}:{smtp.port}"


def _password(config: Config) -> str | None:
    smtp = config.mail.smtp
    if not smtp.username:
        return None
    name = smtp.password_env
    value = os.environ.get(name) if name else None
    if not value:
        raise ConnectionFailed(
            f"{describe(config)}: mail.smtp.username is {smtp.username!r} but the environment "
            f"variable {name or '(mail.smtp.password_env not set)'} holding its password is "
            "empty or missing; set it in the service's environment"
        )
    return value


class SmtpSender:
    """One SMTP session for a round of sends; reconnects after a failed message.

    Use as a context manager; `send(envelope_from, recipients, data)` raises DeliveryError
    (ConnectionFailed or Rejected for the two cases the queue treats specially).
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self._yag: Any = None

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._yag is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._yag.close()
            self._yag = None

    def _connect(self) -> Any:
        import yagmail  # imported late: 0.2 s, and only the smtp transport needs it

        class _NoPromptSMTP(yagmail.SMTP):  # type: ignore[misc]  # yagmail ships no types
            @staticmethod
            def handle_password(user: str, password: str | None) -> str:
                if not password:  # yagmail would try the keyring, then getpass: never
                    raise ConnectionFailed(f"no SMTP password for {user!r}; refusing to prompt")
                return password

        smtp = self.config.mail.smtp
        password = _password(self.config)
        # smtplib's starttls() without a context does not verify the server's certificate.
        context = ssl.create_default_context()
        kwargs: dict[str, Any] = {"timeout": smtp.timeout_seconds}
        if smtp.ssl:
            kwargs["context"] = context
        yag = _NoPromptSMTP(
            user=smtp.username or parseaddr(self.config.mail.from_)[1] or None,
            password=password,
            host=smtp.host,
            port=smtp.port,
            smtp_starttls={"context": context} if smtp.starttls and not smtp.ssl else False,
            smtp_ssl=smtp.ssl,
            smtp_skip_login=not smtp.username,
            soft_email_validation=False,  # addresses were validated when the config loaded
            oauth2_file=None,
            **kwargs,
        )
        yag.set_logging(None)  # yagmail would add its own stderr handler; we log ourselves
        if smtp.username:
            # yagmail appends "@gmail.com" to a user without "@" (make_addr_alias_user); the
            # login name must be exactly the configured one.
            yag.user = smtp.username
        try:
            yag.login()
        except (OSError, smtplib.SMTPException) as e:
            yag.close()
            raise _failed(ConnectionFailed, self.config, _reason(e)) from e
        except UnicodeEncodeError as e:
            # smtplib sends AUTH PLAIN/LOGIN credentials as ASCII only.
            yag.close()
            raise ConnectionFailed(
                f"{describe(self.config)}: the SMTP username or password holds non-ASCII "
                "characters, which smtplib cannot send; use an ASCII password"
            ) from e
        return yag

    def send(self, envelope_from: str, recipients: list[str], data: bytes) -> dict[str, Any]:
        """Send the stored bytes as they are; return the recipients the server refused."""
        if self._yag is None:
            self._yag = self._connect()
        try:
            refused = self._yag.smtp.sendmail(envelope_from, recipients, data)
        except smtplib.SMTPRecipientsRefused as e:
            self.close()
            codes = [code for code, _ in e.recipients.values()]
            cls = Rejected if codes and all(c >= 500 for c in codes) else DeliveryError
            raise _failed(cls, self.config, f"all recipients refused: {e.recipients}") from e
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as e:
            self.close()
            cls = Rejected if e.smtp_code >= 500 else DeliveryError
            raise _failed(cls, self.config, _reason(e)) from e
        except (OSError, smtplib.SMTPException) as e:
            self.close()
            raise _failed(DeliveryError, self.config, _reason(e)) from e
        # smtplib returns a dict; yagmail's send() would return False after disconnects.
        # Anything but a dict means the server did not take the message.
        if not isinstance(refused, dict):
            self.close()
            raise DeliveryError(f"{describe(self.config)}: the server did not accept the message")
        return refused


def _failed(kind: type[DeliveryError], config: Config, reason: str) -> DeliveryError:
    """The server's refusal, coded so the terminal says it in report.language."""
    smtp = config.mail.smtp
    return kind(
        f"{describe(config)}: {reason}",
        code="MAIL_SERVER_FAILED",
        params={"server": f"{smtp.host}:{smtp.port}", "detail": reason},
    )


def _reason(e: BaseException) -> str:
    if isinstance(e, smtplib.SMTPResponseException):
        text = (
            e.smtp_error.decode("utf-8", "replace")
            if isinstance(e.smtp_error, bytes)
            else e.smtp_error
        )
        return f"{type(e).__name__} {e.smtp_code} {text}"
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
