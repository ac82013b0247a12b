"""Files the service wrote itself, dropped back into the inbox.

Every workbook we write (the annotated copy, the discrepancy workbook) carries its run id in a
custom document property. Such a file is never reconciled as a register: with decisions it is
a reply (decisions/apply.py); without any, or naming a run this ledger never completed, it is
answered "this is our workbook of run X: drop the original export to reconcile it again, or
fill the decision column to answer it", and archived without a run.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path

from markupsafe import escape

from reconciler.config import Config
from reconciler.errors import ReconcilerError
from reconciler.ledger.db import Ledger
from reconciler.mail import compose as mail_compose
from reconciler.text import mail as mail_text
from reconciler.text import own_files as own_text

log = logging.getLogger(__name__)


class OwnFile(StrEnum):
    NO_DECISIONS = "no_decisions"  # ours, nothing to apply
    UNKNOWN_RUN = "unknown_run"  # ours, but this ledger has no complete run of that id


def has_decisions(path: Path, file_name: str) -> bool:
    """Whether our workbook holds any decision line (or a line that tries to be one). Read in
    the limited child, like any reply. A workbook whose decision sheets are gone holds none:
    it is still ours and still no register."""
    from reconciler.decisions import read as decisions_read

    try:
        lines, problems = decisions_read.read_reply(path, file_name)
    except ReconcilerError as e:
        log.info("%s carries our run id but its decision sheets cannot be read: %s", file_name, e)
        return False
    return bool(lines or problems)


def answer(
    conn: Ledger,
    config: Config,
    *,
    kind: OwnFile,
    run_id: str,
    file_id: int,
    file_name: str,
    folder: str,
) -> None:
    """Queue the answer to the folder's recipients, once per dropped file."""
    from reconciler.mail import queue as deliver

    language = config.report.language
    t, m = own_text.words(language), mail_text.strings(language)
    folder_part = m["folder_part"].format(folder=folder) if folder else ""
    intro_key = "unknown_run" if kind is OwnFile.UNKNOWN_RUN else "intro"
    paragraphs = [
        m["greeting"],
        t[intro_key].format(file=file_name, folder_part=folder_part, run_id=run_id),
        t["what_to_do"],
    ]
    text = "\n\n".join(paragraphs) + f"\n\n--\n{m['footer']}\n"
    html = "".join(f"<p>{escape(p)}</p>" for p in [*paragraphs, m["footer"]])
    subject = t["subject"].format(file=file_name, run_id=run_id)
    recipients = mail_compose.folder_recipients(config, folder)
    log.info(
        "%s is our own workbook of run %s (%s): answered, not reconciled", file_name, run_id, kind
    )
    if not recipients:
        log.warning("%s: nobody to tell (folder %r); set mail.recipients", file_name, folder)
        return
    composed = mail_compose.Composed("own_file", recipients, subject, text, html)
    message_id = mail_compose.message_id_for(config, f"own-file-{file_id}")
    eml = deliver.kept_eml(config, f"own-file-{file_id}.eml")
    deliver.queue_message(conn, config, composed, message_id=message_id, eml_path=eml)
