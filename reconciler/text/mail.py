"""The words of the emails in each report language (config.report.language: ru, en).

Templates hold the structure; this module holds the phrases, plural forms and number formats,
so adding a language is one more dictionary here, not a copy of every template.
"""

from __future__ import annotations

from typing import Any

from reconciler.text.labels import CODE_LABELS, NOTE_KINDS, format_money
from reconciler.text.report import LABELS

LANGUAGES = ("ru", "en")

STRINGS: dict[str, dict[str, str]] = {
    "ru": {
        "product": "Сверка ОС",
        "accounting_subject": "Сверка ОС{dept}: {file} — {rows}, {findings}",
        "reviewers_subject": "Расхождения для ИТ{dept}: {file} — {findings}, {review} на проверку",
        "reviewers_subject_no_review": "Расхождения для ИТ{dept}: {file} — {findings}",
        "quarantine_subject": "Сверка ОС{dept}: файл {file} не принят",
        "dept": ", {folder}",
        "same_folder": " («{folder}»)",
        "repeat": "Повтор",
        "repeat_line": (
            "Повторная отправка: этот же файл (то же содержимое) уже сверялся {when}, "
            "запуск {run_id}. Ниже — итоги по сегодняшнему ИТ-учету."
        ),
        "next_steps": "Что сделать",
        "colours": (
            "Цвет столбцов справа от ваших: зеленый — найдено в ИТ-учете, расхождений нет; "
            "оранжевый — найдено, есть расхождения; желтый — нужна проверка сопоставления; "
            "красный — в ИТ-учете не найдено; голубой — принято как исключение."
        ),
        "step_findings": (
            "Лист «Расхождения» ({n}): исправьте в учете то, что неверно у вас (местонахождение, "
            "МОЛ, стоимость). Если расхождение — известное исключение, выберите «да» в столбце "
            "«Принято (исключение)» и напишите причину в «Комментарий»."
        ),
        "step_review": (
            "Лист «На проверку» ({n}): в столбце «Решение» выберите «подтвердить», если первый "
            "кандидат — тот же актив, «отклонить», если нет, или впишите ID другого актива."
        ),
        "step_return": (
            "Сохраните книгу и положите ее в ту же папку{folder_part}: ответ о том, что учтено, "
            "придет письмом вам и ИТ."
        ),
        "nothing_to_do": "Делать ничего не нужно: учет и ИТ-учет совпадают.",
        "it_will": "Что сделает ИТ",
        "it_will_text": (
            "ИТ получает тот же список расхождений: найдет в ИТ-учете строки «Нет в ИТ-учете», "
            "исправит местонахождение и МОЛ там, где ошибка у ИТ, и по строкам «Нет в учете» "
            "уточнит у вас, ставить ли оборудование на учет."
        ),
        "to_check": "Что проверить",
        "check_missing_in_inventory": (
            "«Нет в ИТ-учете» ({n}): найдите оборудование в ИТ-учете ({system}) по инв. № и "
            "серийному номеру; не нашли — проверьте на месте."
        ),
        "check_place_person": (
            "«Другое местонахождение», «Другое МОЛ», «Другой серийный номер» ({n}): сверьте с "
            "ИТ-учетом ({system}); ошибка у ИТ — исправьте там, иначе сообщите бухгалтерии."
        ),
        "check_missing_in_books": (
            "«Нет в учете» ({n}): оборудование из ИТ-учета ({system}), которого нет в учете: "
            "подтвердите бухгалтерии, что оно ваше (лист «Нет в учете»)."
        ),
        "check_review": (
            "«На проверку» ({n}): в приложенной книге, лист «На проверку», выберите решение "
            "в столбце «Решение»."
        ),
        "check_return": (
            "Известное исключение: «да» в столбце «Принято (исключение)» листа «Расхождения» "
            "и причина в «Комментарий». Сохраните книгу и положите ее в папку «{folder}» "
            "входящей папки сверки: решения учтутся со следующей сверки, ответ получите вы и "
            "бухгалтерия."
        ),
        "check_return_inbox": (
            "Известное исключение: «да» в столбце «Принято (исключение)» листа «Расхождения» "
            "и причина в «Комментарий». Сохраните книгу и положите ее во входящую папку "
            "сверки: решения учтутся со следующей сверки, ответ получите вы и бухгалтерия."
        ),
        "system_file": "выгрузка",
        "location": "Местонахождение",
        "custodian": "МОЛ",
        "inventory_number": "Инв. №",
        "name": "Наименование",
        "kind_column": "Вид",
        "test_subject": "Сверка ОС: тестовое письмо",
        "greeting": "Здравствуйте!",
        "accounting_intro": "Файл «{file}»{folder_part} сверен с ИТ-учетом оборудования.",
        "folder_part": " из папки «{folder}»",
        "accounting_attached": (
            "Во вложении — копия вашей ведомости: ваш лист не изменён, справа добавлены "
            "столбцы сверки (статус, найденный актив ИТ, расхождения)."
        ),
        "accounting_no_attachment": (
            "Копия ведомости с результатами сверки ещё не готова; она придёт отдельно."
        ),
        "reviewers_intro": "Ведомость «{file}»{folder_part} сверена с ИТ-учетом. Нужна проверка ИТ.",
        "reviewers_attached": "Во вложении — отчёт о расхождениях (xlsx) и его HTML-версия.",
        "summary": "Итоги",
        "rows": "Строк в ведомости",
        "matched": "Сопоставлено",
        "review": "На проверку",
        "unmatched": "Не найдено в ИТ-учете",
        "findings": "Расхождений",
        "value_at_stake": "Сумма под вопросом",
        "notes": "Примечаний (исправлять не нужно)",
        "findings_by_code": "Расхождения по видам",
        "code": "Код",
        "kind": "Вид",
        "count": "Количество",
        "no_findings": "Расхождений нет.",
        "warnings": "Обратите внимание",
        "findings_list": "Расхождения",
        "severity": "Важность",
        "where": "Где",
        "message": "Описание",
        "books": "В учете",
        "it": "В ИТ",
        "row_ref": "{sheet}, строка {row}",
        "asset_ref": "актив {asset_id}",
        "and_more": "… и ещё {n}: полный список в приложенном отчёте.",
        "run": "Запуск",
        "footer": "Письмо отправлено автоматически службой сверки ОС.",
        "unknown_reason": "причина не записана; спросите администратора службы сверки",
        "quarantine_intro": "Файл «{file}»{folder_part} не удалось прочитать, сверка не выполнена.",
        "reason": "Причина",
        "what_to_do": "Что сделать",
        "quarantine_fix": (
            "Исправьте файл по описанию выше (или выгрузите его заново) и положите в ту же "
            "папку ещё раз: он будет обработан автоматически. Исходный файл сохранён."
        ),
        "quarantine_ref": "Номер в карантине",
        "technical": "Подробности для ИТ",
        "test_body": "Это тестовое письмо службы сверки ОС: настройки почты работают.",
        "sent_via": "Отправлено через",
        "operator_subject_environment": "Сверка ОС: сбой окружения службы — {summary}",
        "operator_subject_bug": "Сверка ОС: ошибка в программе — {summary}",
        "operator_intro_environment": (
            "Служба сверки не может закончить обработку файла «{file}»{folder_part} из-за "
            "сбоя окружения, а не из-за самого файла. Файл ждёт и будет обработан повторно, "
            "когда сбой устранят; отправителю ничего не сообщалось."
        ),
        "operator_intro_bug": (
            "Служба сверки остановила обработку файла «{file}»{folder_part} из-за ошибки в "
            "программе, а не в файле. Файл сохранён и будет обработан снова при следующем "
            "запуске службы; отправителю ничего не сообщалось. Сообщите об ошибке "
            "разработчикам, приложив подробности ниже."
        ),
        "operator_subject_mail": "Сверка ОС: письмо отклонено почтовым сервером — {summary}",
        "operator_intro_mail": (
            "Почтовый сервер окончательно отказался принять письмо «{file}»{folder_part}: "
            "оно помечено как неотправленное и повторяться не будет. Проверьте адреса "
            "получателей в настройках (mail.recipients, mail.reviewers, mail.auditors); "
            "письмо сохранено в .eml, см. журнал службы."
        ),
        "operator_fault": "Сбой",
        "operator_once": (
            "Это письмо отправляется один раз на сбой: другие файлы, которые он задержит, "
            "ждут без новых писем (см. журнал службы)."
        ),
    },
    "en": {
        "product": "Asset reconciliation",
        "accounting_subject": "Asset reconciliation{dept}: {file} — {rows}, {findings}",
        "reviewers_subject": "Discrepancies for IT{dept}: {file} — {findings}, {review} to review",
        "reviewers_subject_no_review": "Discrepancies for IT{dept}: {file} — {findings}",
        "quarantine_subject": "Asset reconciliation{dept}: file {file} not accepted",
        "dept": ", {folder}",
        "same_folder": " (“{folder}”)",
        "repeat": "Repeat",
        "repeat_line": (
            "Sent again: this same file (the same content) was reconciled on {when}, run "
            "{run_id}. The figures below are against today's IT inventory."
        ),
        "next_steps": "What to do",
        "colours": (
            "The colour of the columns right of yours: green — found in the IT inventory, no "
            "discrepancy; orange — found, with discrepancies; yellow — the match needs review; "
            "red — not found in the IT inventory; blue — accepted as an exception."
        ),
        "step_findings": (
            "Sheet “Findings” ({n}): correct on the books what is wrong on your side "
            "(location, custodian, cost). A known exception: choose “yes” under “Accepted "
            "(exception)” and give the reason under “Comment”."
        ),
        "step_review": (
            "Sheet “To review” ({n}): under “Decision” choose “confirm” when the first "
            "candidate is the same asset, “reject” when not, or type another asset ID."
        ),
        "step_return": (
            "Save the workbook and drop it into the same folder{folder_part}: what was applied "
            "comes back by email to you and to IT."
        ),
        "nothing_to_do": "Nothing to do: the books and the IT inventory agree.",
        "it_will": "What IT will do",
        "it_will_text": (
            "IT gets the same list: it looks up the rows “Not in IT inventory”, corrects "
            "location and custodian where IT is wrong, and asks you whether the equipment "
            "“Not on the books” should be capitalised."
        ),
        "to_check": "What to check",
        "check_missing_in_inventory": (
            "“Not in IT inventory” ({n}): look the equipment up in the IT inventory ({system}) "
            "by inventory No. and serial number; not there — check on site."
        ),
        "check_place_person": (
            "“Location / Custodian / Serial differs” ({n}): compare with the IT inventory "
            "({system}); IT is wrong — correct it there, otherwise tell accounting."
        ),
        "check_missing_in_books": (
            "“Not on the books” ({n}): equipment in the IT inventory ({system}) that is not on "
            "the books: confirm to accounting that it is yours (sheet “Not on books”)."
        ),
        "check_review": (
            "“To review” ({n}): in the attached workbook, sheet “To review”, choose under "
            "“Decision”."
        ),
        "check_return": (
            "A known exception: “yes” under “Accepted (exception)” on the “Findings” sheet and "
            "the reason under “Comment”. Save the workbook and drop it into the inbox folder "
            "“{folder}”: the decisions apply from the next run; you and accounting get the "
            "answer."
        ),
        "check_return_inbox": (
            "A known exception: “yes” under “Accepted (exception)” on the “Findings” sheet and "
            "the reason under “Comment”. Save the workbook and drop it into the reconciliation "
            "inbox: the decisions apply from the next run; you and accounting get the answer."
        ),
        "system_file": "the export",
        "location": "Location",
        "custodian": "Custodian",
        "inventory_number": "Inventory No.",
        "name": "Name",
        "kind_column": "Kind",
        "test_subject": "Asset reconciliation: test message",
        "greeting": "Hello,",
        "accounting_intro": "The file “{file}”{folder_part} was reconciled with the IT inventory.",
        "folder_part": " from folder “{folder}”",
        "accounting_attached": (
            "Attached is a copy of your register: your sheet is unchanged, reconciliation "
            "columns (status, matched IT asset, discrepancies) are added on the right."
        ),
        "accounting_no_attachment": (
            "The annotated copy of the register is not ready yet; it will follow separately."
        ),
        "reviewers_intro": "The register “{file}”{folder_part} was reconciled. IT review needed.",
        "reviewers_attached": "Attached: the discrepancy report (xlsx) and its HTML version.",
        "summary": "Summary",
        "rows": "Register rows",
        "matched": "Matched",
        "review": "To review",
        "unmatched": "Not found in IT inventory",
        "findings": "Discrepancies",
        "value_at_stake": "Value at stake",
        "notes": "Notes (nothing to fix)",
        "findings_by_code": "Discrepancies by kind",
        "code": "Code",
        "kind": "Kind",
        "count": "Count",
        "no_findings": "No discrepancies.",
        "warnings": "Please note",
        "findings_list": "Discrepancies",
        "severity": "Severity",
        "where": "Where",
        "message": "Description",
        "books": "Books",
        "it": "IT",
        "row_ref": "{sheet}, row {row}",
        "asset_ref": "asset {asset_id}",
        "and_more": "… and {n} more: the full list is in the attached report.",
        "run": "Run",
        "footer": "Sent automatically by the asset reconciliation service.",
        "unknown_reason": "no reason was recorded; ask the service's administrator",
        "quarantine_intro": "The file “{file}”{folder_part} could not be read; it was not reconciled.",
        "reason": "Reason",
        "what_to_do": "What to do",
        "quarantine_fix": (
            "Fix the file as described above (or export it again) and drop it into the same "
            "folder again: it will be processed automatically. The original is kept."
        ),
        "quarantine_ref": "Quarantine reference",
        "technical": "Details for IT",
        "test_body": "This is a test message of the asset reconciliation service: mail works.",
        "sent_via": "Sent via",
        "operator_subject_environment": "Reconciler: the service's environment failed — {summary}",
        "operator_subject_bug": "Reconciler: a bug in the service — {summary}",
        "operator_intro_environment": (
            "The reconciliation service cannot finish the file “{file}”{folder_part} because "
            "of a fault in its environment, not in the file. The file waits and is tried "
            "again until the fault is cleared; its sender was told nothing."
        ),
        "operator_intro_bug": (
            "The reconciliation service stopped on the file “{file}”{folder_part} because of "
            "a bug in the program, not in the file. The file is kept and tried again at the "
            "next start of the service; its sender was told nothing. Report the bug with the "
            "details below."
        ),
        "operator_subject_mail": "Reconciler: a message refused by the mail server — {summary}",
        "operator_intro_mail": (
            "The mail server refused the message “{file}”{folder_part} for good: it is marked "
            "failed and not retried. Check the recipients' addresses in the config "
            "(mail.recipients, mail.reviewers, mail.auditors); the message is kept as an .eml, "
            "see the service log."
        ),
        "operator_fault": "Fault",
        "operator_once": (
            "This message is sent once per fault: other files it holds wait without further "
            "messages (see the service log)."
        ),
    },
}

# The same words as the reports and the workbook, so a mail and its attachment agree.
SEVERITY_LABELS: dict[str, dict[str, str]] = {
    language: LABELS[language]["severity"] for language in ("ru", "en")
}

_COUNTED: dict[str, dict[str, tuple[str, str, str]]] = {
    # Russian nouns take one of three forms after a number: 1 строка, 2 строки, 5 строк.
    "ru": {
        "rows": ("строка", "строки", "строк"),
        "findings": ("расхождение", "расхождения", "расхождений"),
    },
    "en": {
        "rows": ("row", "rows", "rows"),
        "findings": ("discrepancy", "discrepancies", "discrepancies"),
    },
}


def plural_form(n: int, forms: tuple[str, str, str], language: str) -> str:
    one, few, many = forms
    if language != "ru":
        return one if n == 1 else many
    tens, units = abs(n) % 100, abs(n) % 10
    if 11 <= tens <= 14:
        return many
    if units == 1:
        return one
    if 2 <= units <= 4:
        return few
    return many


def counted(n: int, noun: str, language: str) -> str:
    """'57 строк', '3 расхождения', '1 row'."""
    return f"{n} {plural_form(n, _COUNTED[language][noun], language)}"


def money(value: float | None, currency: str, language: str) -> str:
    """1 234 567,89 RUB (ru, no-break spaces so it never wraps) or 1,234,567.89 RUB (en)."""
    if value is None:
        return "—"
    return f"{format_money(value, language)}\u00a0{currency}"


def strings(language: str) -> dict[str, Any]:
    return {
        **STRINGS[language],
        "note_kinds": NOTE_KINDS[language],
        "codes": CODE_LABELS[language],
        "severities": SEVERITY_LABELS[language],
    }
