"""Why the service stopped a file it could read, and what to do: ru and en.

The service's limits (size, time, memory), a reader that crashed, and an IT inventory that
could not be loaded: the sender is told what they can do, or that the cause is not theirs.
"""

from __future__ import annotations

# code -> language -> (what is wrong, what to do)
SERVICE: dict[str, dict[str, tuple[str, str]]] = {
    "FILE_TOO_LARGE": {
        "ru": (
            "Файл «{file}» слишком большой: {size_mb} МБ, а служба принимает файлы не "
            "больше {limit_mb} МБ.",
            "Разделите ведомость на несколько файлов поменьше (например, по подразделениям) "
            "или попросите администратора увеличить предел (limits.max_file_mb).",
        ),
        "en": (
            "The file “{file}” is too large: {size_mb} MB, and the service takes files of "
            "at most {limit_mb} MB.",
            "Split the register into smaller files (by department, say) or ask the "
            "administrator to raise the limit (limits.max_file_mb).",
        ),
    },
    "TOO_SLOW": {
        "ru": (
            "Обработка файла «{file}» заняла больше допустимых {limit_seconds} с и была "
            "остановлена.",
            "Разделите ведомость на несколько файлов поменьше или попросите администратора "
            "увеличить предел (limits.max_seconds).",
        ),
        "en": (
            "Processing the file “{file}” took longer than the allowed {limit_seconds} s and "
            "was stopped.",
            "Split the register into smaller files or ask the administrator to raise the "
            "limit (limits.max_seconds).",
        ),
    },
    "TOO_MUCH_MEMORY": {
        "ru": (
            "Для обработки файла «{file}» понадобилось больше памяти, чем разрешено "
            "({limit_mb} МБ), и обработка была остановлена.",
            "Разделите ведомость на несколько файлов поменьше или попросите администратора "
            "увеличить предел (limits.max_memory_mb).",
        ),
        "en": (
            "Processing the file “{file}” needed more memory than allowed ({limit_mb} MB) "
            "and was stopped.",
            "Split the register into smaller files or ask the administrator to raise the "
            "limit (limits.max_memory_mb).",
        ),
    },
    "READER_CRASHED": {
        "ru": (
            "Файл «{file}» не удалось прочитать: программа чтения аварийно завершилась на нём.",
            "Откройте файл в Excel, сохраните как книгу Excel (.xlsx) и положите в папку "
            "снова. Если не поможет, сообщите администратору службы сверки.",
        ),
        "en": (
            "The file “{file}” could not be read: the reader crashed on it.",
            "Open the file in Excel, save it as an Excel workbook (.xlsx) and drop it into "
            "the folder again. If that does not help, tell the service's administrator.",
        ),
    },
    "INVENTORY_UNAVAILABLE": {
        "ru": (
            "Сверка не выполнена: не удалось загрузить учет оборудования ИТ. Ваш файл здесь "
            "ни при чём.",
            "Сообщите администратору службы сверки; когда учет ИТ будет исправлен, положите "
            "файл в папку снова.",
        ),
        "en": (
            "Not reconciled: the IT inventory could not be loaded. Your file is not the cause.",
            "Tell the service's administrator; once the IT inventory is fixed, drop the file "
            "into the folder again.",
        ),
    },
}
