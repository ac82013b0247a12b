"""The errors reconciler raises for bad input or configuration.

Anything that is not a ReconcilerError is a bug and keeps its traceback. Messages are one line
that names the file (sheet, row, key), what was expected, what was found, and the fix.
Discrepancies between the books and IT are never exceptions: they are Findings (models.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Problem:
    """One problem of the configuration or the rules: a stable `code` and the values its
    message names (`params`), so text/errors_config.py can say it in the reader's language;
    `text` is the English line for logs. A problem without a code is said as its text."""

    text: str
    code: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text


class ReconcilerError(Exception):
    """Base of every expected failure; the CLI maps these to exit code 2."""

    exit_code = 2


class ConfigError(ReconcilerError):
    """config.yaml or rules/*.yaml is wrong. Carries every problem found, not only the first."""

    def __init__(
        self, problems: Sequence[str | Problem] | str | Problem, *, source: str | None = None
    ) -> None:
        given = [problems] if isinstance(problems, (str, Problem)) else list(problems)
        self.coded = [p if isinstance(p, Problem) else Problem(p) for p in given]
        self.problems = [p.text for p in self.coded]  # the English lines
        self.source = source
        head = f"{source}: " if source else ""
        if len(self.problems) == 1:
            message = head + self.problems[0]
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{head}{len(self.problems)} problems:\n{lines}"
        super().__init__(message)


class InputError(ReconcilerError):
    """A register or inventory file that cannot be read as one.

    `file`, `sheet` and `row` locate the problem; `hint` says what the user should do. `code`
    (stable, upper snake case: PASSWORD_PROTECTED, NO_HEADER ...) and `params` (the values the
    message names, JSON-safe) let error_text.py tell the user in their own language; str(e)
    stays the English one-liner for logs and the CLI.
    """

    default_code: ClassVar[str | None] = None

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        hint: str | None = None,
        code: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        self.file, self.sheet, self.row, self.hint = file, sheet, row, hint
        self.reason = message
        self.code = code or self.default_code
        located = {"file": file, "sheet": sheet, "row": row}
        self.params: dict[str, Any] = {k: v for k, v in located.items() if v is not None}
        self.params.update(params or {})
        where = []
        if file:
            where.append(file)
        if sheet:
            where.append(f"sheet '{sheet}'")
        if row:
            where.append(f"row {row}")
        text = (", ".join(where) + ": " if where else "") + message
        if hint:
            text += f". {hint}"
        super().__init__(text)


class InventoryError(InputError):
    """The IT inventory source cannot be loaded: not the sender's fault, whatever the cause."""

    default_code = "INVENTORY_UNAVAILABLE"

    def __init__(self, message: str, **where: Any) -> None:
        super().__init__(message, **where)
        # The sender cannot act on IT's problem; the detail is for the administrator.
        self.params.setdefault("detail", str(self))


class LimitExceeded(InputError):
    """A file went over a configured size, time or memory limit."""


class _Told(ReconcilerError):
    """An error of the environment with an optional `code` and `params`, so the terminal says
    it in report.language (text/errors_commands.py); str(e) stays the English line."""

    def __init__(
        self, message: str, *, code: str | None = None, params: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.params: dict[str, Any] = dict(params or {})


class DeliveryError(_Told):
    """An email could not be handed to the mail server (it stays queued for a retry)."""


class LedgerUnavailable(_Told):
    """The ledger's database cannot be reached, or dropped the connection mid-step: the
    environment's fault, never the file's (a file in hand is left as it was and redone)."""
