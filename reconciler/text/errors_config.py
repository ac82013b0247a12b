"""Problems of config.yaml and rules/*.yaml told to the operator at the terminal, ru and en.

A ConfigError carries coded Problems (errors.py): a stable code and the values the message
names. Here each code has one sentence per language naming the key (and the file where it is
not the config itself), what was expected, and what to do, said once. A problem without a code,
or with a code not here, is said as its English line, capitalised: never left unsaid.
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import ConfigError, Problem
from reconciler.text import error_catalogue

# code -> language -> the sentence. Placeholders are the problem's params, plus `expected`
# (BAD_VALUE: pydantic's complaint in words) and `near_part` / `closest_text` written out here.
SENTENCES: dict[str, dict[str, str]] = {
    "UNKNOWN_KEY_NEAR": {
        "ru": "Неизвестная настройка «{key}»: возможно, имелась в виду «{near}». Исправьте имя.",
        "en": "Unknown setting '{key}': did you mean '{near}'? Fix the name.",
    },
    "SECRET_IN_FILE": {
        "ru": "Настройка «{key}» не допускается: секрет в файл не пишется. Удалите строку, "
        "задайте значение в переменной окружения и укажите её имя в «{env_key}».",
        "en": "Setting '{key}' is not allowed: a secret never goes in the file. Delete the "
        "line, put the value in an environment variable and name it in '{env_key}'.",
    },
    "UNKNOWN_KEY": {
        "ru": "Неизвестная настройка «{key}». Здесь допустимы: {known}; исправьте имя или "
        "удалите строку.",
        "en": "Unknown setting '{key}'. The settings here are {known}; fix the name or delete "
        "the line.",
    },
    "BAD_VALUE": {
        "ru": "Настройка «{key}»: {expected}{found_part}. Исправьте значение.",
        "en": "Setting '{key}': {expected}{found_part}. Fix the value.",
    },
    "INVENTORY_PATH_NEEDED": {
        "ru": "Источник ИТ-учета «{source}» читает файл или папку, но «inventory.path» не "
        "задан. Укажите в нём путь.",
        "en": "The inventory source '{source}' reads a file or folder, but 'inventory.path' "
        "is not set. Set it to the path.",
    },
    "INVENTORY_URL_NEEDED": {
        "ru": "Источнику ИТ-учета «{source}» нужен адрес API, но «inventory.url» не задан. "
        "Укажите адрес, например https://inventory.example.com.",
        "en": "The inventory source '{source}' needs its API address, but 'inventory.url' is "
        "not set. Set it, e.g. https://inventory.example.com.",
    },
    "INVENTORY_TOKEN_ENV_NEEDED": {
        "ru": "Источнику ИТ-учета «{source}» нужен токен API, но «inventory.token_env» не "
        "задан. Укажите в нём имя переменной окружения с токеном (сам токен в файл не пишется).",
        "en": "The inventory source '{source}' needs an API token, but 'inventory.token_env' "
        "is not set. Set it to the name of the environment variable holding the token (the "
        "token itself never goes in the file).",
    },
    "GLPI_APP_TOKEN_NEEDED": {
        "ru": "GLPI нужен App-Token, но «inventory.app_token_env» не задан. Укажите в нём имя "
        "переменной окружения с App-Token.",
        "en": "GLPI needs an App-Token, but 'inventory.app_token_env' is not set. Set it to "
        "the name of the environment variable holding it.",
    },
    "BAD_ADDRESS": {
        "ru": "Настройка «{key}»: «{found}» — не адрес электронной почты. Укажите адрес вида "
        "name@example.com.",
        "en": "Setting '{key}': '{found}' is not an email address. Write one like "
        "name@example.com.",
    },
    "ADDRESS_OUTSIDE_DOMAINS": {
        "ru": "Настройка «{key}»: адрес «{found}» вне разрешенных доменов ({domains}). "
        "Исправьте адрес или добавьте его домен в «mail.allowed_domains».",
        "en": "Setting '{key}': the address '{found}' is outside the allowed domains "
        "({domains}). Fix the address or add its domain to 'mail.allowed_domains'.",
    },
    "SSL_AND_STARTTLS": {
        "ru": "В «mail.smtp» включены и ssl, и starttls, а можно только одно. Выключите одно "
        "из них (false).",
        "en": "'mail.smtp' turns on both ssl and starttls, which exclude each other. Set one "
        "of them to false.",
    },
    "SCOPE_EMPTY": {
        "ru": "Область «{key}» ничего не выбирает. Перечислите местонахождения, МОЛ или поля, "
        "либо задайте whole_inventory: true.",
        "en": "The scope '{key}' names nothing. List locations, custodians or fields, or set "
        "whole_inventory: true.",
    },
    "BAD_PATTERN": {
        "ru": "Настройка «{key}»: «{found}» — не регулярное выражение ({detail}). Исправьте "
        "его или уберите «re:», чтобы сравнивать название как написано.",
        "en": "Setting '{key}': '{found}' is not a regular expression ({detail}). Fix it, or "
        "drop 're:' to compare the name as written.",
    },
    "EMPTY_PATTERN": {
        "ru": "Настройка «{key}» пуста. Укажите название, начало названия со * или re:шаблон.",
        "en": "Setting '{key}' is empty. Write a name, a prefix* or re:pattern.",
    },
    "PASSWORD_ENV_NEEDED": {
        "ru": "Для SMTP задан username, но не задан «mail.smtp.password_env». Укажите в нём "
        "имя переменной окружения с паролем (сам пароль в файл не пишется).",
        "en": "An SMTP username is set but 'mail.smtp.password_env' is not. Set it to the "
        "name of the environment variable holding the password (the password itself never "
        "goes in the file).",
    },
    "NO_CONFIG_FILE": {
        "ru": "Файл настроек {file} не найден. Укажите его через --config, в переменной "
        "{env}, или создайте пример командой «reconciler demo ПАПКА».",
        "en": "There is no config file at {file}. Pass --config PATH, set {env}, or create "
        "one with 'reconciler demo DIR'.",
    },
    "BAD_YAML": {
        "ru": "Строка {line}, позиция {column}: текст не читается как YAML ({detail}). "
        "Исправьте отступы и кавычки в этом месте.",
        "en": "Line {line}, column {column}: not readable as YAML ({detail}). Fix the "
        "indentation and quotes there.",
    },
    "BAD_YAML_NOWHERE": {
        "ru": "Текст не читается как YAML ({detail}). Исправьте отступы и кавычки.",
        "en": "Not readable as YAML ({detail}). Fix the indentation and quotes.",
    },
    "NOT_A_MAPPING": {
        "ru": "На верхнем уровне файла ожидались настройки вида «ключ: значение». Начните "
        "с примера из «reconciler demo ПАПКА».",
        "en": "Expected settings as 'key: value' at the top level. Start from the example "
        "'reconciler demo DIR' writes.",
    },
    "NO_RULES_FOLDER": {
        "ru": "Папки правил {path} нет (настройка «rules»). Скопируйте туда поставляемую папку "
        "rules/ или исправьте путь.",
        "en": "The rules folder {path} does not exist (setting 'rules'). Copy the shipped "
        "rules/ there or fix the path.",
    },
    "VARIABLE_NOT_SET": {
        "ru": "Настройка «{key}» называет переменную окружения {name}, но здесь она не "
        "задана. Задайте {name} в окружении службы (значение в файл не пишется).",
        "en": "Setting '{key}' names the environment variable {name}, which is not set here. "
        "Set {name} in the service's environment (its value never goes in the file).",
    },
    "INVENTORY_FAILED": {
        "ru": "ИТ-учет {where} не загружается. {reason} {fix}",
        "en": "The IT inventory {where} cannot be loaded. {reason} {fix}",
    },
    "FOLDER_IS_A_FILE": {
        "ru": "Настройка «{key}»: ожидалась папка, а {path} — файл. Укажите папку.",
        "en": "Setting '{key}': expected a folder, but {path} is a file. Point it at a folder.",
    },
    "SCOPE_SELECTS_NOTHING": {
        "ru": "Область «{key}» не выбирает ни одного из {assets} активов ИТ-учета ({closest_text}). "
        "Исправьте значения, чтобы они называли активы подразделения.",
        "en": "The scope '{key}' selects none of the {assets} IT assets ({closest_text}). Fix "
        "the values so they name the department's assets.",
    },
    "RULES_UNKNOWN_KEY": {
        "ru": "Неизвестный ключ «{key}»{near_part}.",
        "en": "Unknown key '{key}'{near_part}.",
    },
    "RULES_NOT_A_CODE": {
        "ru": "«{key}» — не код расхождения{near_part}.",
        "en": "'{key}' is not a finding code{near_part}.",
    },
    "RULES_BAD_VALUE": {
        "ru": "Ключ «{key}»: {expected}{found_part}. Исправьте значение.",
        "en": "Key '{key}': {expected}{found_part}. Fix the value.",
    },
    "RULES_NOT_A_MAPPING": {
        "ru": "Ожидались правила вида «ключ: значение». Начните с поставляемого файла.",
        "en": "Expected rules as 'key: value'. Start from the shipped file.",
    },
    # --- raised by the other commands and by the inventory sources ---
    "SECRET_ENV_UNNAMED": {
        "ru": "Настройка «{key}» не задана. Укажите в ней имя переменной окружения с секретом "
        "(сам секрет в файл не пишется).",
        "en": "Setting '{key}' is not set. Set it to the name of the environment variable "
        "holding the secret (the secret itself never goes in the file).",
    },
    "TOKEN_REFUSED": {
        "ru": "{source} по адресу {url} не принял токен из переменной окружения {name} (ответ "
        "{status}). Запишите в {name} действующий токен API.",
        "en": "{source} at {url} refused the token from the environment variable {name} "
        "(answer {status}). Put a valid API token in {name}.",
    },
    "MAPPING_UNREADABLE": {
        "ru": "Файл сопоставления полей {path} (настройка «inventory.mapping») не читается "
        "({detail}). Укажите копию rules/sources.yaml.",
        "en": "The field mapping {path} (setting 'inventory.mapping') cannot be read "
        "({detail}). Point it at a copy of rules/sources.yaml.",
    },
    "MAPPING_NO_SECTION": {
        "ru": "Нет раздела «{kind}:», сопоставляющего поля источника. Скопируйте его из {shipped}.",
        "en": "No '{kind}:' section mapping the source's fields. Copy it from {shipped}.",
    },
    "TO_OUTSIDE_DOMAINS": {
        "ru": "--to: адрес «{found}» вне разрешенных доменов ({domains}). Укажите адрес в "
        "одном из них.",
        "en": "--to: the address '{found}' is outside the allowed domains ({domains}). Give "
        "an address in one of them.",
    },
    "TO_NOT_AN_ADDRESS": {
        "ru": "--to: «{found}» — не адрес электронной почты. Укажите адрес вида name@example.com.",
        "en": "--to: '{found}' is not an email address. Give one like name@example.com.",
    },
    "NOBODY_TO_TEST": {
        "ru": "Некому отправить тестовое письмо: «mail.reviewers» пуст. Укажите --to АДРЕС "
        "или заполните mail.reviewers.",
        "en": "Nobody to send the test message to: 'mail.reviewers' is empty. Pass --to "
        "ADDRESS or fill in mail.reviewers.",
    },
    "NO_AUDITORS": {
        "ru": "Некому отправить пакет аудита: «mail.auditors» пуст. Добавьте адреса или "
        "запустите без --email.",
        "en": "Nobody to send the audit pack to: 'mail.auditors' is empty. Add addresses or "
        "leave out --email.",
    },
    "WORK_ON_ANOTHER_DISK": {
        "ru": "Рабочая папка {work} на другом диске, чем входящая {inbox}, и файл нельзя "
        "забрать атомарным переименованием. Разместите state/ на том же диске или ресурсе, "
        "что и входящую папку.",
        "en": "The work folder {work} is on another filesystem than the inbox {inbox}, so a "
        "file cannot be claimed by an atomic rename. Put state/ on the same disk or share as "
        "the inbox.",
    },
    "DEMO_ROWS": {
        "ru": "--rows {found}: нужна хотя бы одна строка ведомости. Укажите, например, --rows 60.",
        "en": "--rows {found}: at least one register row is needed. Pass e.g. --rows 60.",
    },
    "DEMO_IS_A_FILE": {
        "ru": "{path} — файл, а не папка. Укажите новую или пустую папку для примера.",
        "en": "{path} is a file, not a folder. Give a new or empty folder for the demo.",
    },
    "DEMO_NOT_EMPTY": {
        "ru": "Папка {path} не пуста и не содержит прежний пример; ничего не записано. "
        "Укажите новую или пустую папку.",
        "en": "The folder {path} is not empty and holds no earlier demo; nothing was written. "
        "Give a new or empty folder.",
    },
    "COPY_TARGET_NOT_POSTGRES": {
        "ru": "Копировать журнал можно только в PostgreSQL, а указано {found}. Задайте "
        "postgresql://пользователь@сервер/база в --to или ledger.url.",
        "en": "The ledger can only be copied into PostgreSQL, but the target is {found}. Give "
        "postgresql://user@host/db in --to or ledger.url.",
    },
    "COPY_NO_SOURCE": {
        "ru": "Журнала SQLite {path} нет. Укажите его через --from ПУТЬ.",
        "en": "There is no SQLite ledger at {path}. Pass --from PATH.",
    },
    "COPY_TARGET_NOT_EMPTY": {
        "ru": "Журнал {target} не пуст (есть строки в {tables}). Копируйте в новую базу или "
        "оставьте ledger.url как есть.",
        "en": "The ledger {target} is not empty (rows in {tables}). Copy into a new database, "
        "or leave ledger.url as it is.",
    },
}

# What pydantic expected, by its error type; {gt}, {expected} ... are its context values.
EXPECTED: dict[str, dict[str, str]] = {
    "missing": {"ru": "обязательная настройка не задана", "en": "required, but not set"},
    "int_parsing": {"ru": "ожидалось целое число", "en": "expected a whole number"},
    "int_type": {"ru": "ожидалось целое число", "en": "expected a whole number"},
    "int_from_float": {"ru": "ожидалось целое число", "en": "expected a whole number"},
    "float_parsing": {"ru": "ожидалось число", "en": "expected a number"},
    "float_type": {"ru": "ожидалось число", "en": "expected a number"},
    "bool_parsing": {"ru": "ожидалось true или false", "en": "expected true or false"},
    "bool_type": {"ru": "ожидалось true или false", "en": "expected true or false"},
    "greater_than": {"ru": "ожидалось число больше {gt}", "en": "expected a number above {gt}"},
    "greater_than_equal": {
        "ru": "ожидалось число не меньше {ge}",
        "en": "expected a number of at least {ge}",
    },
    "less_than": {"ru": "ожидалось число меньше {lt}", "en": "expected a number below {lt}"},
    "less_than_equal": {
        "ru": "ожидалось число не больше {le}",
        "en": "expected a number of at most {le}",
    },
    "literal_error": {
        "ru": "ожидалось одно из значений {expected}",
        "en": "expected one of {expected}",
    },
    "enum": {"ru": "ожидалось одно из значений {expected}", "en": "expected one of {expected}"},
    "string_type": {"ru": "ожидался текст", "en": "expected text"},
    "list_type": {"ru": "ожидался список", "en": "expected a list"},
    "dict_type": {"ru": "ожидался раздел с ключами", "en": "expected a section of keys"},
    "model_type": {"ru": "ожидался раздел с ключами", "en": "expected a section of keys"},
    "model_attributes_type": {
        "ru": "ожидался раздел с ключами",
        "en": "expected a section of keys",
    },
    "date_parsing": {"ru": "ожидалась дата ГГГГ-ММ-ДД", "en": "expected a date YYYY-MM-DD"},
    "date_from_datetime_parsing": {
        "ru": "ожидалась дата ГГГГ-ММ-ДД",
        "en": "expected a date YYYY-MM-DD",
    },
}

WORDS: dict[str, dict[str, str]] = {
    "ru": {
        "found": ", указано {found}",
        "near": "; возможно, имелся в виду «{near}»; исправьте имя",
        "valid": "; допустимы: {valid}",
        "closest": "ближайшие значения в «{column}»: {values}",
        "quoted": "«{}»",
        "no_values": "в ИТ-учете нет значений «{column}»",
        "in_file": "{file}: ",
        "head": "{source} — проблем: {n}",
        "detail": "Подробности: {detail}",
    },
    "en": {
        "found": ", found {found}",
        "near": "; did you mean '{near}'? Fix the name",
        "valid": "; use one of {valid}",
        "closest": "closest in '{column}': {values}",
        "quoted": "'{}'",
        "no_values": "the inventory has no '{column}' values",
        "in_file": "{file}: ",
        "head": "{source}: {n} problems",
        "detail": "Detail: {detail}",
    },
}


class _Unknown(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def sentence_case(text: str) -> str:
    """A capital first letter, unless the text opens with a path or a file name."""
    first = text.split(" ", 1)[0]
    if text[:1].islower() and not any(c in first for c in "./\\:"):
        return text[:1].upper() + text[1:]
    return text


def _expected(params: dict[str, Any], language: str) -> str:
    entry = EXPECTED.get(str(params.get("type")))
    if entry is None:  # a validator's own words, or a type not listed: pydantic's, in English
        msg = str(params.get("msg") or "?").removeprefix("Value error, ")
        return msg[:1].lower() + msg[1:]
    return entry[language].format_map(_Unknown(params))


def say(problem: Problem, language: str) -> str:
    """One problem in `language` (ru or en; anything else is en), in sentence case."""
    language = language if language in WORDS else "en"
    entry = SENTENCES.get(problem.code or "")
    if entry is None:
        return sentence_case(problem.text)
    w = WORDS[language]
    values: dict[str, Any] = dict(problem.params)
    values["expected"] = _expected(values, language)
    found = values.get("found")
    values["found_part"] = w["found"].format(found=found) if found is not None else ""
    if values.get("near"):
        values["near_part"] = w["near"].format(near=values["near"])
    else:
        values["near_part"] = w["valid"].format(valid=values["valid"]) if "valid" in values else ""
    closest = values.get("closest")
    if isinstance(closest, list):
        values["closest_text"] = "; ".join(
            w["closest"].format(
                column=c["column"], values=", ".join(w["quoted"].format(v) for v in c["values"])
            )
            if c.get("values")
            else w["no_values"].format(column=c.get("column"))
            for c in closest
            if isinstance(c, dict)
        )
    error = values.get("error")
    if isinstance(error, dict):  # INVENTORY_FAILED: the inventory's own error, as it is told
        record = error_catalogue.ErrorRecord.from_dict(error)
        said = error_catalogue.explain_record(record, language)
        values["reason"], values["fix"] = said.reason, said.fix
        # What the loader found, for the person who configures it (the sender's words only
        # say it is not their file).
        detail = record.params.get("detail")
        if detail:
            values["fix"] = f"{said.fix} {w['detail'].format(detail=detail)}".strip()
    text = entry[language].format_map(_Unknown(values))
    if values.get("file") and "{file}" not in entry[language]:
        text = w["in_file"].format(file=values["file"]) + text
    return sentence_case(text)


def describe(error: ConfigError, language: str) -> str:
    """The whole error: one problem on its line, several under a head that counts them."""
    lines = list(dict.fromkeys(say(p, language) for p in error.coded))  # each said once
    head = error.source
    if len(lines) == 1:  # one problem that names its own file needs no head naming another
        names_file = any(p.params.get("file") for p in error.coded)
        return f"{head}: {lines[0]}" if head and not names_file else lines[0]
    w = WORDS[language if language in WORDS else "en"]
    top = w["head"].format(source=head, n=len(lines)) if head else str(len(lines))
    return top + ":\n" + "\n".join(f"  - {line}" for line in lines)
