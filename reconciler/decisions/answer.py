"""The answer to a reply: the words (problems and email, in report.language) and the email.

The email goes to the recipients of the folder the reply was dropped into (as a run's does)
and to the reviewers,
through deliver.queue_message, once per reply (the Message-ID is derived from it), and is kept
as outbox/mail/decisions-<reply id>.eml.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from reconciler.config import Config
from reconciler.ledger.db import Ledger
from reconciler.mail import compose as mail_compose
from reconciler.text import mail as mail_text

log = logging.getLogger(__name__)

TEXT: dict[str, dict[str, str]] = {
    "ru": {
        "subject": "Сверка ОС{dept}: решения из «{file}» — применено {applied}, не принято {problems}",
        "intro": "Файл «{file}»{folder_part} принят как ответ на сверку {run_id}; "
        "сверка по нему не выполнялась.",
        "applied": "Применено",
        "problems": "Не принято",
        "cli_head": "{file}: ответ на сверку {run_id} (папка «{folder}»)",
        "cli_applied": "применено  {where}: {text}",
        "cli_problem": "не принято {where}: {text}",
        "cli_counts": "применено {applied}, не принято {problems}",
        "none_applied": "Ни одно решение не применено.",
        "no_problems": "Замечаний нет.",
        "where": "«{sheet}», строка {row}",
        "next_run": "Решения будут учтены при следующей сверке этой папки.",
        "confirm": "подтверждено: строка {target} — актив {asset}",
        "asset": "указан другой актив: строка {target} — актив {asset}",
        "reject": "отклонено: строка {target} — не актив {asset}",
        "accept": "принято как исключение: {code} ({target})",
        "covers": "решение относится и к строкам-дублям ({others}): это одно расхождение",
        "unchanged": "уже записано (решение №{id})",
        "replaces": "заменяет решение №{ids}",
        "decision": "решение №{id}",
        "bad_where": "в столбцах A-B нужны лист и номер строки ведомости, найдено {found}",
        "no_candidate": "в столбце C нет ID актива, к которому относится решение",
        "no_code": "в столбце D нет кода расхождения; не меняйте столбцы A-D",
        "not_a_row": "в ведомости запуска {run_id} нет строки данных {row} на листе «{sheet}»; "
        "проверьте столбцы A-B",
        "no_finding": "в запуске {run_id} нет расхождения {code} ({target}); "
        "не меняйте столбцы A-D",
        "unknown_asset": "неизвестный ID актива «{asset}»: его нет в ИТ-учете запуска {run_id}; "
        "укажите ID из кандидатов или с листа «Нет в учете»",
        "two_rows": "противоречие: актив {asset} подтверждён и для {target}, и для {others}; "
        "не применено ни одно",
        "both_kinds": "противоречие: строка {target} и актив {asset} в этом ответе и "
        "подтверждены, и отклонены; не применено ни одно",
        "taken": "актив {asset} уже подтверждён для {other} решением №{id}; сначала отмените "
        "его (reconciler decisions revoke {id})",
        "too_long": "в ответе больше {limit} решений (limits.max_reply_lines): не применено "
        "ни одно; разделите решения на несколько ответов или попросите администратора поднять "
        "предел",
        "wrong_folder": "это ответ на запуск {run_id} папки «{folder}», но файл положен в папку "
        "«{dropped}»: решения принимаются только из папки запуска; положите его в «{folder}»",
    },
    "en": {
        "subject": "Reconciler{dept}: decisions in {file} — {applied} applied, {problems} not applied",
        "intro": "{file}{folder_part} was taken as a reply to run {run_id}; it was not "
        "reconciled as a register.",
        "applied": "Applied",
        "problems": "Not applied",
        "cli_head": "{file}: a reply to run {run_id} (folder '{folder}')",
        "cli_applied": "applied  {where}: {text}",
        "cli_problem": "problem  {where}: {text}",
        "cli_counts": "{applied} applied, {problems} not applied",
        "none_applied": "No decision was applied.",
        "no_problems": "No problems.",
        "where": "'{sheet}', row {row}",
        "next_run": "The decisions apply from the next run of this folder.",
        "confirm": "confirmed: row {target} is asset {asset}",
        "asset": "another asset given: row {target} is asset {asset}",
        "reject": "rejected: row {target} is not asset {asset}",
        "accept": "accepted as an exception: {code} ({target})",
        "covers": "the decision covers the duplicate rows too ({others}): they are one finding",
        "unchanged": "already recorded (decision #{id})",
        "replaces": "replaces decision #{ids}",
        "decision": "decision #{id}",
        "bad_where": "columns A-B: expected the register's sheet and row number, found {found}",
        "no_candidate": "column C holds no asset ID for this decision",
        "no_code": "column D: expected the finding's code, found none; leave columns A-D as "
        "they were",
        "not_a_row": "sheet '{sheet}' row {row} is not a data row of the register in run "
        "{run_id}; check columns A-B",
        "no_finding": "run {run_id} has no finding {code} at {target}; leave columns A-D as "
        "they were",
        "unknown_asset": "unknown asset ID '{asset}': not in the IT inventory of run {run_id}; "
        "type an ID from the candidates or the 'Not on books' sheet",
        "two_rows": "contradiction: asset {asset} is confirmed for {target} and for {others}; "
        "neither is applied",
        "both_kinds": "contradiction: row {target} and asset {asset} are both confirmed and "
        "rejected in this reply; neither is applied",
        "taken": "asset {asset} is already confirmed for {other} by decision #{id}; revoke it "
        "first (reconciler decisions revoke {id})",
        "too_long": "the reply holds more than {limit} decisions (limits.max_reply_lines): "
        "none is applied; split them into several replies or ask the administrator to raise "
        "the limit",
        "wrong_folder": "this reply answers run {run_id} of folder '{folder}' but was dropped "
        "into '{dropped}': decisions are taken only from the run's own folder; drop it into "
        "'{folder}'",
    },
}


@dataclass
class ReplyOutcome:
    reply_id: int
    run_id: str
    folder: str  # the series the decisions apply to (the run's folder)
    file_name: str
    decided_by: str
    applied: list[dict[str, Any]] = field(default_factory=list)  # where, text, decision_id
    problems: list[dict[str, Any]] = field(default_factory=list)  # where, text

    def lines(self, language: str) -> list[str]:
        """What `reconciler run` on a reply prints, in report.language (as the email says it)."""
        t = TEXT.get(language, TEXT["en"])
        out = [t["cli_head"].format(file=self.file_name, run_id=self.run_id, folder=self.folder)]
        out += [t["cli_applied"].format(where=a["where"], text=a["text"]) for a in self.applied]
        out += [t["cli_problem"].format(where=p["where"], text=p["text"]) for p in self.problems]
        out.append(t["cli_counts"].format(applied=len(self.applied), problems=len(self.problems)))
        return out


def queue_answer(
    conn: Ledger, config: Config, outcome: ReplyOutcome, dropped_in: str | None
) -> str | None:
    """Queue the email saying what was applied (once per reply); its Message-ID or None."""
    from reconciler.mail import queue as deliver

    folder = outcome.folder if dropped_in is None else dropped_in
    composed = compose_answer(config, outcome, folder)
    if not composed.recipients:
        log.warning(
            "reply %s: nobody to tell (folder %r); set mail.recipients", outcome.file_name, folder
        )
        return None
    message_id = mail_compose.message_id_for(
        config, f"decisions-{outcome.run_id}-{outcome.reply_id}"
    )
    eml = deliver.kept_eml(config, f"decisions-{outcome.reply_id}.eml")
    deliver.queue_message(conn, config, composed, message_id=message_id, eml_path=eml, run_id=None)
    return message_id


def compose_answer(config: Config, outcome: ReplyOutcome, folder: str) -> mail_compose.Composed:
    language = config.report.language
    t = TEXT[language]
    m = mail_text.strings(language)
    subject = t["subject"].format(
        dept=m["dept"].format(folder=folder) if folder else "",
        file=outcome.file_name,
        applied=len(outcome.applied),
        problems=len(outcome.problems),
    )
    ctx = {
        "t": m,
        "d": t,
        "language": language,
        "subject": subject,
        "intro": t["intro"].format(
            file=outcome.file_name,
            run_id=outcome.run_id,
            folder_part=m["folder_part"].format(folder=folder) if folder else "",
        ),
        "applied": outcome.applied,
        "problems": outcome.problems,
        "run_id": outcome.run_id,
    }
    text, html = mail_compose.render("decisions", ctx)
    # The folder's accountants and the IT reviewers: whoever answered, both sides see what
    # now applies (a reviewer may answer in the IT workbook, an accountant in their copy).
    recipients = list(
        dict.fromkeys([*mail_compose.folder_recipients(config, folder), *config.mail.reviewers])
    )
    return mail_compose.Composed("decisions", recipients, subject, text, html)
