"""What the service answers when a workbook it wrote itself comes back without decisions, ru and en.

An annotated copy or a discrepancy workbook carries its run id in a document property. Dropped
back with a decision filled in, it is a reply (decisions/); without one it is neither a reply
nor a register: reconciling our own output would turn every finding into a new one.
"""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "ru": {
        "subject": "Сверка ОС: «{file}» — это наша книга сверки {run_id}, сверка не выполнялась",
        "intro": "Файл «{file}»{folder_part} — это книга, которую выписала сама служба сверки "
        "(запуск {run_id}), и решений в ней нет. Сверка по нему не выполнялась, файл отправлен "
        "в архив.",
        "unknown_run": "Файл «{file}»{folder_part} выписан службой сверки (запуск {run_id}), "
        "но такого завершенного запуска в журнале этой службы нет. Сверка по нему не "
        "выполнялась, файл отправлен в архив.",
        "what_to_do": "Что сделать: чтобы сверить ведомость заново, положите в папку исходную "
        "выгрузку из учетной системы; чтобы ответить на сверку, заполните столбец «Решение» "
        "(или «Принято») в этой книге и положите ее снова.",
    },
    "en": {
        "subject": "Reconciler: {file} is our own workbook of run {run_id}; not reconciled",
        "intro": "{file}{folder_part} is a workbook the reconciliation service wrote itself "
        "(run {run_id}), and it holds no decision. It was not reconciled; it went to the "
        "archive.",
        "unknown_run": "{file}{folder_part} was written by the reconciliation service (run "
        "{run_id}), but this service's ledger holds no complete run of that id. It was not "
        "reconciled; it went to the archive.",
        "what_to_do": "What to do: to reconcile the register again, drop the original export "
        "from the accounting system; to answer the run, fill the Decision (or Accepted) "
        "column in this workbook and drop it again.",
    },
}


def words(language: str) -> dict[str, str]:
    return TEXT.get(language, TEXT["en"])
