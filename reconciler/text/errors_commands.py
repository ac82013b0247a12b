"""Why a command could not do what it was asked, for the person at the terminal: a reply that
names no run the ledger knows, a decision id that does not exist, a period the wrong way round.
(code -> language -> what is wrong, what to do; error_catalogue.py writes them out.)"""

from __future__ import annotations

COMMANDS: dict[str, dict[str, tuple[str, str]]] = {
    "RUN_NOT_IN_LEDGER": {
        "ru": (
            "Запуск {run_id} не найден в журнале среди завершенных.",
            "Положите копию ведомости с пометками из более нового запуска.",
        ),
        "en": (
            "Run {run_id} is not a complete run in the ledger.",
            "Drop the annotated workbook of a newer run.",
        ),
    },
    "RUN_KEPT_NO_ROWS": {
        "ru": (
            "Запуск {run_id} выполнен до того, как решения стали записываться, и его строки "
            "не сохранены.",
            "Положите копию ведомости с пометками из более нового запуска.",
        ),
        "en": (
            "Run {run_id} ran before decisions were recorded and kept no row keys.",
            "Drop the annotated workbook of a newer run.",
        ),
    },
    "NOT_A_REPLY": {
        "ru": (
            "Файл «{file}» — не копия ведомости с пометками из завершенного запуска.",
            "Чтобы сверить ведомость, запустите reconciler run с исходной выгрузкой; чтобы "
            "передать решения, возьмите файл из письма сверки.",
        ),
        "en": (
            "The file “{file}” is not the annotated workbook of a complete run.",
            "To reconcile a register, run reconciler run on the export itself; to send "
            "decisions, use the workbook from the reconciliation email.",
        ),
    },
    "REPLY_UNREADABLE": {
        "ru": (
            "Файл ответа «{file}» не читается ({detail}).",
            "Сохраните его в Excel заново как .xlsx и положите в папку снова.",
        ),
        "en": (
            "The reply “{file}” cannot be read ({detail}).",
            "Save it again in Excel as .xlsx and drop it into the folder again.",
        ),
    },
    "DECISION_NOT_FOUND": {
        "ru": (
            "Решения №{id} нет в журнале.",
            "Номера решений показывает команда reconciler decisions list.",
        ),
        "en": (
            "There is no decision #{id} in the ledger.",
            "See the decision ids with reconciler decisions list.",
        ),
    },
    "LEDGER_NO_CONNECTION": {
        "ru": (
            "Журнал {url} недоступен: подключиться не удалось ({detail}).",
            "Проверьте, что PostgreSQL запущен, а ledger.url и ledger.password_env верны.",
        ),
        "en": (
            "The ledger {url} cannot be reached ({detail}).",
            "Check that PostgreSQL runs and that ledger.url and ledger.password_env are right.",
        ),
    },
    "LEDGER_PASSWORD_NOT_SET": {
        "ru": (
            "Настройка «ledger.password_env» называет переменную окружения {name}, но она не "
            "задана.",
            "Задайте в ней пароль базы в окружении службы.",
        ),
        "en": (
            "Setting 'ledger.password_env' names the environment variable {name}, which is "
            "not set.",
            "Set it to the database password in the service's environment.",
        ),
    },
    "LEDGER_URL_UNKNOWN": {
        "ru": (
            "Настройка «ledger.url» ({url}) не похожа на адрес журнала.",
            "Оставьте её пустой (SQLite в state/) или укажите sqlite:///ПУТЬ либо "
            "postgresql://пользователь@сервер/база.",
        ),
        "en": (
            "Setting 'ledger.url' ({url}) is not a ledger address.",
            "Leave it empty (SQLite in state/), or give sqlite:///PATH or "
            "postgresql://user@host/db.",
        ),
    },
    "MAIL_SERVER_FAILED": {
        "ru": (
            "Почтовый сервер {server} не принял письмо ({detail}).",
            "Проверьте mail.smtp: сервер, порт, ssl/starttls, имя и переменную с паролем.",
        ),
        "en": (
            "The mail server {server} did not take the message ({detail}).",
            "Check mail.smtp: host, port, ssl/starttls, username and the password's variable.",
        ),
    },
    "PERIOD_REVERSED": {
        "ru": (
            "Начало периода --from {start} позже его конца --to {end}.",
            "Укажите --from не позже --to.",
        ),
        "en": (
            "The period's start --from {start} is after its end --to {end}.",
            "Give a --from on or before --to.",
        ),
    },
}
