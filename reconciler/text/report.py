"""The words and number formats of the reports and the annotated workbook, per language.

Finding messages live in rules/checks.yaml (users edit them); the fixed labels of columns,
sheets and summaries live here. Only "ru" and "en" exist (config.report.language).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

LABELS: dict[str, dict[str, Any]] = {
    "ru": {
        "sheet_summary": "Сводка",
        "sheet_review": "На проверку",
        "sheet_not_on_books": "Нет в учете",
        "sheet_findings": "Расхождения",
        "status": {"matched": "сопоставлено", "review": "на проверку", "unmatched": "не найдено"},
        "matched_on": {
            "serial": "серийный номер",
            "inventory_number": "инв. номер",
            "barcode": "штрихкод",
            "fuzzy": "по сходству",
            "kit": "комплект",
            "decision": "решение проверяющего",
        },
        "severity": {"high": "высокая", "medium": "средняя", "low": "низкая", "info": "справочно"},
        "columns": {
            "status": "Сверка: статус",
            "score": "Сверка: оценка",
            "matched_on": "Сверка: по чему",
            "asset_ids": "ИТ: ID актива",
            "hostname": "ИТ: имя хоста",
            "vendor_model": "ИТ: производитель / модель",
            "serial": "ИТ: серийный номер",
            "cpu": "ИТ: процессор",
            "ram": "ИТ: ОЗУ",
            "storage": "ИТ: диски",
            "ip": "ИТ: IP",
            "rack": "ИТ: стойка",
            "location": "ИТ: местонахождение",
            "custodian": "ИТ: ответственный",
            "status_it": "ИТ: статус",
            "warranty_until": "ИТ: гарантия до",
            "inventory_number": "ИТ: инв. №",
            "purchase_cost": "ИТ: стоимость покупки",
            "findings": "Сверка: расхождения",
        },
        "finding_columns": {
            "code": "Код",
            "severity": "Важность",
            "message": "Описание",
            "sheet": "Лист",
            "row": "Строка",
            "inventory_number": "Инв. №",
            "name": "Наименование",
            "book_value": "В учете",
            "it_value": "В ИТ",
            "asset_id": "ID актива ИТ",
            "amount": "Сумма",
        },
        "asset_columns": {
            "asset_id": "ID актива ИТ",
            "inventory_number": "Инв. №",
            "name": "Наименование",
            "vendor_model": "Производитель / модель",
            "serial": "Серийный номер",
            "hostname": "Имя хоста",
            "location": "Местонахождение",
            "custodian": "Ответственный",
            "status": "Статус ИТ",
            "purchased_on": "Дата покупки",
            "purchase_cost": "Стоимость покупки",
            "note": "Вывод",
        },
        "review_columns": {
            "sheet": "Лист",
            "row": "Строка",
            "candidates": "ID кандидатов",
            "decision": "Решение",
            "comment": "Комментарий",
            "inventory_number": "Инв. №",
            "name": "Наименование",
            "serial": "Серийный номер",
            "score": "Лучшая оценка",
            "details": "Кандидаты подробно",
        },
        "review_help": (
            "Решение: confirm — подтвердить первого кандидата в столбце C (оставьте в нем "
            "только нужный ID), reject — ни один ID в столбце C не этот актив, или впишите ID "
            "другого актива. Не меняйте столбцы A-C кроме этого. Сохраните книгу и положите ее "
            "в ту же папку: решения учтутся при следующих сверках."
        ),
        "not_on_books_low_value": "ниже порога капитализации: учитывается как МЦ",
        "not_on_books_disposed": "списан в ИТ",
        "not_on_books_missing": "нет в учете: поставить на учет или выяснить у ИТ",
        "summary": {
            "title": "Сверка реестра основных средств с ИТ-инвентаризацией",
            "source_file": "Исходный файл",
            "sha256": "SHA-256 файла",
            "run_id": "ID запуска",
            "report_date": "Дата отчета",
            "inventory_source": "Источник ИТ-инвентаризации",
            "rows": "Строк в ведомости",
            "assets": "Активов в ИТ",
            "assets_not_on_books": "Активов ИТ нет в ведомости (всего)",
            "findings": "Расхождений",
            "value_at_stake": "Сумма под вопросом",
            "by_status": "Строки по статусу",
            "by_code": "Расхождения по видам",
            "by_location": "Расхождения по местонахождению",
            "by_custodian": "Расхождения по ответственным",
            "count": "Количество",
            "amount": "Сумма",
            "kind": "Вид",
            "code": "Код",
            "lost": "Что не удалось сохранить в копии",
            "nothing_lost": "ничего: все элементы исходного файла сохранены",
            "legend": "Цвета строк",
            "has_findings": "есть расхождения",
            "chart_codes": "Расхождения по видам",
            "chart_locations": "Расхождения по местонахождению",
            "chart_top": "(первые {n} из {total})",
            "no_findings": "Расхождений нет.",
            "unknown": "(не указано)",
            "all_findings": "Все расхождения",
        },
    },
    "en": {
        "sheet_summary": "Summary",
        "sheet_review": "To review",
        "sheet_not_on_books": "Not on books",
        "sheet_findings": "Findings",
        "status": {"matched": "matched", "review": "review", "unmatched": "not found"},
        "matched_on": {
            "serial": "serial",
            "inventory_number": "inventory No.",
            "barcode": "barcode",
            "fuzzy": "similarity",
            "kit": "kit",
            "decision": "reviewer's decision",
        },
        "severity": {"high": "high", "medium": "medium", "low": "low", "info": "info"},
        "columns": {
            "status": "Reconciler: status",
            "score": "Reconciler: score",
            "matched_on": "Reconciler: matched on",
            "asset_ids": "IT: asset ID",
            "hostname": "IT: hostname",
            "vendor_model": "IT: vendor / model",
            "serial": "IT: serial",
            "cpu": "IT: CPU",
            "ram": "IT: RAM",
            "storage": "IT: storage",
            "ip": "IT: IP",
            "rack": "IT: rack",
            "location": "IT: location",
            "custodian": "IT: custodian",
            "status_it": "IT: status",
            "warranty_until": "IT: warranty until",
            "inventory_number": "IT: inventory No.",
            "purchase_cost": "IT: purchase cost",
            "findings": "Reconciler: findings",
        },
        "finding_columns": {
            "code": "Code",
            "severity": "Severity",
            "message": "Message",
            "sheet": "Sheet",
            "row": "Row",
            "inventory_number": "Inventory No.",
            "name": "Name",
            "book_value": "Books",
            "it_value": "IT",
            "asset_id": "IT asset ID",
            "amount": "Amount",
        },
        "asset_columns": {
            "asset_id": "IT asset ID",
            "inventory_number": "Inventory No.",
            "name": "Name",
            "vendor_model": "Vendor / model",
            "serial": "Serial",
            "hostname": "Hostname",
            "location": "Location",
            "custodian": "Custodian",
            "status": "IT status",
            "purchased_on": "Purchased on",
            "purchase_cost": "Purchase cost",
            "note": "Conclusion",
        },
        "review_columns": {
            "sheet": "Sheet",
            "row": "Row",
            "candidates": "Candidate IDs",
            "decision": "Decision",
            "comment": "Comment",
            "inventory_number": "Inventory No.",
            "name": "Name",
            "serial": "Serial",
            "score": "Best score",
            "details": "Candidates in detail",
        },
        "review_help": (
            "Decision: confirm = the first candidate in column C is right (leave only that ID "
            "there), reject = no ID in column C is this asset, or type another asset ID. Change "
            "nothing else in columns A-C. Save the workbook and drop it into the same folder: "
            "later runs apply the decisions."
        ),
        "not_on_books_low_value": "below the capitalisation threshold: a low-value item",
        "not_on_books_disposed": "disposed in IT",
        "not_on_books_missing": "not on the books: capitalise it or ask IT",
        "summary": {
            "title": "Fixed-asset register reconciled with the IT inventory",
            "source_file": "Source file",
            "sha256": "File SHA-256",
            "run_id": "Run ID",
            "report_date": "Report date",
            "inventory_source": "IT inventory source",
            "rows": "Register rows",
            "assets": "IT assets",
            "assets_not_on_books": "IT assets not in the register (all)",
            "findings": "Findings",
            "value_at_stake": "Value at stake",
            "by_status": "Rows by status",
            "by_code": "Findings by kind",
            "by_location": "Findings by location",
            "by_custodian": "Findings by custodian",
            "count": "Count",
            "amount": "Amount",
            "kind": "Kind",
            "code": "Code",
            "lost": "What the copy could not keep",
            "nothing_lost": "nothing: every part of the source file is kept",
            "legend": "Row colours",
            "has_findings": "has findings",
            "chart_codes": "Findings by kind",
            "chart_locations": "Findings by location",
            "chart_top": "(top {n} of {total})",
            "no_findings": "No findings.",
            "unknown": "(not stated)",
            "all_findings": "All findings",
        },
    },
}


def code_label(code: str, language: str) -> str:
    """The finding code in words ("Другая стоимость"); an unknown code shows as itself."""
    from reconciler.text.mail import CODE_LABELS

    return CODE_LABELS.get(language, CODE_LABELS["ru"]).get(code, code)


def labels(language: str) -> dict[str, Any]:
    return LABELS.get(language, LABELS["ru"])


def format_money(value: Decimal | float | None, language: str) -> str:
    """1 234 567,89 (ru, with no-break spaces as the accountant writes it) or 1,234,567.89."""
    if value is None:
        return ""
    text = f"{Decimal(value):,.2f}"
    if language == "ru":
        return text.replace(",", "\u00a0").replace(".", ",")
    return text


def format_date(value: date | None, language: str) -> str:
    if value is None:
        return ""
    return value.strftime("%d.%m.%Y") if language == "ru" else value.isoformat()
