"""Why a file could not be opened as a workbook, and what to do: ru and en.

The codes raised before any sheet is read: the file's kind, damage, encryption, encoding, and
the share refusing it (links, permissions). Placeholders are the error's params and the phrases
error_catalogue derives from them (found_text ...).
"""

from __future__ import annotations

# code -> language -> (what is wrong, what to do)
OPENING: dict[str, dict[str, tuple[str, str]]] = {
    "PASSWORD_PROTECTED": {
        "ru": (
            "Файл «{file}» защищён паролем, поэтому служба сверки не может его открыть.",
            "Сохраните его без пароля (Файл → Сведения → Защита книги → Зашифровать с "
            "использованием пароля → очистите поле) и положите в папку снова.",
        ),
        "en": (
            "The file “{file}” is protected by a password, so the reconciliation service "
            "cannot open it.",
            "Save it without a password (File → Info → Protect Workbook → Encrypt with "
            "Password → clear the field) and drop it into the folder again.",
        ),
    },
    "NOT_A_SPREADSHEET": {
        "ru": (
            "Файл «{file}» — не таблица Excel: это {found_text}.",
            "Выгрузите ведомость из учетной системы в Excel (.xlsx) и положите в папку этот файл.",
        ),
        "en": (
            "The file “{file}” is not a spreadsheet: it is {found_text}.",
            "Export the register from your accounting system as Excel (.xlsx) and drop that "
            "file into the folder.",
        ),
    },
    "EMPTY_FILE": {
        "ru": (
            "Файл «{file}» пустой: в нём нет ни одного заполненного значения.",
            "Выгрузите ведомость заново вместе с данными и положите в папку снова.",
        ),
        "en": (
            "The file “{file}” is empty: it holds no value at all.",
            "Export the register again with its data and drop it into the folder again.",
        ),
    },
    "HALF_WRITTEN": {
        "ru": (
            "Файл «{file}» повреждён или скопирован не до конца.",
            "Скопируйте его в папку ещё раз; если не поможет, откройте его в Excel, "
            "сохраните заново и положите в папку снова.",
        ),
        "en": (
            "The file “{file}” is damaged or was not copied completely.",
            "Copy it into the folder again; if that does not help, open it in Excel, save it "
            "again and drop it into the folder again.",
        ),
    },
    "DAMAGED_FILE": {
        "ru": (
            "Файл «{file}» повреждён и не читается.",
            "Откройте его в Excel (или LibreOffice), сохраните как книгу Excel (.xlsx) и "
            "положите в папку снова.",
        ),
        "en": (
            "The file “{file}” is damaged and cannot be read.",
            "Open it in Excel (or LibreOffice), save it as an Excel workbook (.xlsx) and drop "
            "it into the folder again.",
        ),
    },
    "UNSAFE_XML": {
        "ru": (
            "Файл «{file}» — таблица XML со ссылками на внешние определения (DTD); из "
            "соображений безопасности такие файлы не читаются.",
            "Откройте его в Excel, сохраните как книгу Excel (.xlsx) и положите в папку снова.",
        ),
        "en": (
            "The file “{file}” is an XML spreadsheet that declares a DTD or entities; such "
            "files are not read, for safety.",
            "Open it in Excel, save it as an Excel workbook (.xlsx) and drop it into the "
            "folder again.",
        ),
    },
    "UNREADABLE_FILE": {
        "ru": (
            "Файл «{file}» (формат {format}) не удаётся прочитать.",
            "Откройте его в Excel (или LibreOffice), сохраните как книгу Excel (.xlsx) и "
            "положите в папку снова.",
        ),
        "en": (
            "The file “{file}” ({format}) cannot be read.",
            "Open it in Excel (or LibreOffice), save it as an Excel workbook (.xlsx) and drop "
            "it into the folder again.",
        ),
    },
    "UNREADABLE_SHEET": {
        "ru": (
            "В файле «{file}» не удаётся прочитать лист «{sheet}».",
            "Откройте файл в Excel, сохраните как книгу Excel (.xlsx) и положите в папку снова.",
        ),
        "en": (
            "The sheet “{sheet}” of the file “{file}” cannot be read.",
            "Open the file in Excel, save it as an Excel workbook (.xlsx) and drop it into "
            "the folder again.",
        ),
    },
    "UNKNOWN_ENCODING": {
        "ru": (
            "Текстовый файл «{file}» записан в неизвестной кодировке (ожидалась UTF-8 или "
            "Windows-1251).",
            "Сохраните его как книгу Excel (.xlsx) или как «CSV UTF-8» и положите в папку снова.",
        ),
        "en": (
            "The text file “{file}” is in an unknown encoding (expected UTF-8 or Windows-1251).",
            "Save it as an Excel workbook (.xlsx) or as “CSV UTF-8” and drop it into the "
            "folder again.",
        ),
    },
    "CANNOT_OPEN": {
        "ru": (
            "Файл «{file}» не открывается: возможно, он занят другой программой.",
            "Закройте его у всех, кто его открыл, и положите в папку снова.",
        ),
        "en": (
            "The file “{file}” cannot be opened: another program may be holding it.",
            "Close it wherever it is open and drop it into the folder again.",
        ),
    },
    "FILE_NOT_FOUND": {
        "ru": (
            "Файл «{file}» не найден.",
            "Проверьте, что файл на месте, и положите его в папку снова.",
        ),
        "en": (
            "The file “{file}” is not found.",
            "Check that the file is there and drop it into the folder again.",
        ),
    },
    "LINK_REFUSED": {
        "ru": (
            "«{file}» — не сам файл, а ссылка на файл в другом месте (символическая или жёсткая "
            "ссылка, ярлык) либо не обычный файл, поэтому служба сверки его не открывала.",
            "Скопируйте в папку сам файл ведомости, а не ссылку или ярлык на него.",
        ),
        "en": (
            "“{file}” is not a file itself but a link to a file elsewhere (a symbolic or hard "
            "link, a shortcut) or not an ordinary file, so the service did not open it.",
            "Copy the register file itself into the folder, not a link or a shortcut to it.",
        ),
    },
    "NOT_READABLE": {
        "ru": (
            "Служба сверки не может прочитать файл «{file}»: права доступа к нему не дают "
            "ей читать его.",
            "Скопируйте файл в папку заново (копия получает права папки) или попросите "
            "администратора дать службе сверки право чтения.",
        ),
        "en": (
            "The reconciliation service may not read the file “{file}”: its permissions do "
            "not let the service read it.",
            "Copy the file into the folder again (a copy gets the folder's permissions), or "
            "ask the administrator to let the service read it.",
        ),
    },
}

# What arrived instead of a spreadsheet (NOT_A_SPREADSHEET's `found`).
FOUND_KINDS: dict[str, dict[str, str]] = {
    "pdf": {"ru": "документ PDF", "en": "a PDF document"},
    "png": {"ru": "картинка PNG", "en": "a PNG image"},
    "jpeg": {"ru": "картинка JPEG", "en": "a JPEG image"},
    "gif": {"ru": "картинка GIF", "en": "a GIF image"},
    "rar": {"ru": "архив RAR", "en": "a RAR archive"},
    "7z": {"ru": "архив 7-Zip", "en": "a 7-Zip archive"},
    "gzip": {"ru": "архив gzip", "en": "a gzip archive"},
    "rtf": {"ru": "документ RTF", "en": "an RTF document"},
    "binary": {"ru": "двоичные данные неизвестного вида", "en": "binary data of no known kind"},
    "opendocument": {
        "ru": "документ OpenDocument, но не таблица",
        "en": "an OpenDocument file that is not a spreadsheet",
    },
    "zip": {
        "ru": "архив ZIP без книги Excel внутри (документ Word или архив?)",
        "en": "a zip archive without a workbook in it (a Word file or an archive?)",
    },
    "old_office": {
        "ru": "старый файл Office, но не книга Excel",
        "en": "an old-style Office file that is not an Excel workbook",
    },
    "word_or_powerpoint": {
        "ru": "документ Word или PowerPoint",
        "en": "a Word or PowerPoint file",
    },
}
