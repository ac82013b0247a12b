"""error_text.py: a file that cannot be read is explained to its sender in their language.

Each code is triggered for real, by a real bad file read by the real reader, and the Russian
text must name the file (sheet, row where known), say what was expected and found, and the fix.
"""

from __future__ import annotations

import ast
import io
import os
import re
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from msoffcrypto.format.ooxml import OOXMLFile
from workbooks import XMLSS_HEAD, SheetSpec, plain_register, with_filepass, write

from reconciler.cli import cli
from reconciler.config import Config, InventoryConfig, load_config
from reconciler.errors import ConfigError, InputError
from reconciler.inventory.load import load_inventory
from reconciler.mail import compose as mail_compose
from reconciler.read.register import read_register
from reconciler.read.sheets import open_workbook
from reconciler.rules import Rules
from reconciler.service import isolation
from reconciler.text import error_catalogue as error_text
from reconciler.text.error_catalogue import CATALOGUE, ErrorRecord, describe, explain, note, render

NAME = "ведомость.xlsx"


def refusal(path: Path, rules: Rules | None = None) -> InputError:
    """What reading `path` as the accountant's register raises (sent as NAME)."""
    with pytest.raises(InputError) as caught:
        if rules is None:
            list(open_workbook(path, file_name=NAME).sheets())
        else:
            read_register(path, rules.columns, file_name=NAME)
    return caught.value


def russian(error: InputError, code: str) -> str:
    """The Russian text, after checking the code and that nothing was left unfilled."""
    assert error.code == code, str(error)
    text = describe(error, "ru")
    assert f"«{NAME}»" in text
    template = " ".join(CATALOGUE[code]["ru"])
    named = set(error_text._derived(error.params, "ru"))  # every value the text names is known
    assert set(re.findall(r"\{(\w+)\}", template)) <= named, error.params
    assert re.search("[а-я]", text) and "Traceback" not in text
    english = describe(error, "en")
    assert NAME in english and english != text
    return text


@pytest.fixture
def register(tmp_path: Path) -> Path:
    """A small, readable register: the base that the bad files below are made from."""
    return write(tmp_path / "plain.xlsx", "xlsx", plain_register())


# --- the file as a whole ------------------------------------------------------------------


def test_a_password_protected_workbook_says_save_it_without_a_password(
    tmp_path: Path, register: Path
) -> None:
    locked = tmp_path / "locked.xlsx"
    with register.open("rb") as src, locked.open("wb") as dst:
        OOXMLFile(src).encrypt("secret", dst)
    error = refusal(locked)
    assert "password protected" in str(error)  # the English one-liner is unchanged
    text = russian(error, "PASSWORD_PROTECTED")
    assert text.startswith("Файл «ведомость.xlsx» защищён паролем")
    assert "Сохраните его без пароля (Файл → Сведения → Защита книги" in text
    assert "положите в папку снова" in text


def test_a_password_protected_legacy_xls_says_the_same(tmp_path: Path) -> None:
    plain = write(tmp_path / "plain.xls", "xls", plain_register())
    text = russian(refusal(with_filepass(plain, tmp_path / "locked.xls")), "PASSWORD_PROTECTED")
    assert "Сохраните его без пароля" in text


@pytest.mark.parametrize(
    ("data", "found"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "это документ PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "это картинка PNG"),
        (b"\x01\x02\x03\x00binary", "это двоичные данные"),
    ],
)
def test_a_pdf_an_image_or_binary_data_is_named_for_what_it_is(
    tmp_path: Path, data: bytes, found: str
) -> None:
    path = tmp_path / "scan.xlsx"
    path.write_bytes(data)
    text = russian(refusal(path), "NOT_A_SPREADSHEET")
    assert "не таблица Excel" in text and found in text
    assert "Выгрузите ведомость из учетной системы в Excel (.xlsx)" in text


def test_a_word_document_renamed_to_xlsx_is_not_a_spreadsheet(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    path = tmp_path / "letter.xlsx"
    path.write_bytes(buffer.getvalue())
    text = russian(refusal(path), "NOT_A_SPREADSHEET")
    assert "архив ZIP без книги Excel" in text


def test_an_empty_file_says_export_it_again_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    text = russian(refusal(path), "EMPTY_FILE")
    assert "пустой" in text and "Выгрузите ведомость заново" in text


def test_a_half_copied_workbook_says_copy_it_again(tmp_path: Path, register: Path) -> None:
    data = register.read_bytes()
    path = tmp_path / "half.xlsx"
    path.write_bytes(data[: len(data) // 2])
    text = russian(refusal(path), "HALF_WRITTEN")
    assert "скопирован не до конца" in text and "Скопируйте его в папку ещё раз" in text


def test_a_damaged_xml_spreadsheet_says_save_it_as_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "export.xls"
    path.write_text(XMLSS_HEAD + '<Worksheet ss:Name="TDSheet"><Table><Row>', encoding="utf-8")
    text = russian(refusal(path), "DAMAGED_FILE")
    assert "повреждён" in text and "сохраните как книгу Excel (.xlsx)" in text


def test_an_xml_spreadsheet_with_a_dtd_is_refused_as_unsafe(tmp_path: Path) -> None:
    path = tmp_path / "export.xls"
    head = XMLSS_HEAD.replace(
        '<?mso-application progid="Excel.Sheet"?>\n',
        '<?mso-application progid="Excel.Sheet"?>\n<!DOCTYPE Workbook [<!ENTITY a "x">]>\n',
    )
    path.write_text(head + "</Workbook>", encoding="utf-8")
    text = russian(refusal(path), "UNSAFE_XML")
    assert "DTD" in text


def test_a_web_page_without_a_table_says_export_as_excel(tmp_path: Path) -> None:
    path = tmp_path / "export.xls"
    path.write_text("<html><body><p>Отчёт пуст</p></body></html>", encoding="utf-8")
    text = russian(refusal(path), "NO_TABLE")
    assert "веб-страница" in text


def test_text_in_an_unknown_encoding_says_save_as_utf8_or_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"Inv;Name\n1;\x98\n")  # 0x98 is neither UTF-8 nor Windows-1251
    text = russian(refusal(path), "UNKNOWN_ENCODING")
    assert "UTF-8 или Windows-1251" in text and "«CSV UTF-8»" in text


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    assert "не найден" in russian(refusal(tmp_path / "нет.xlsx"), "FILE_NOT_FOUND")


def test_a_file_that_cannot_be_opened_says_close_it(tmp_path: Path) -> None:
    """A folder in place of the file: the OS refuses to open it, as it does a locked one."""
    text = russian(refusal(tmp_path), "CANNOT_OPEN")
    assert "не открывается" in text and "Закройте его" in text


def test_a_damaged_legacy_xls_says_save_it_as_xlsx(tmp_path: Path) -> None:
    data = bytearray(write(tmp_path / "x.xls", "xls", plain_register()).read_bytes())
    damaged, unreadable = tmp_path / "damaged.xls", tmp_path / "unreadable.xls"
    damaged.write_bytes(bytes(data[:1024] + b"\xff" * 300 + data[1324:]))  # the OLE directory
    unreadable.write_bytes(bytes(data[:2000] + b"\xff" * 300 + data[2300:]))  # the BIFF stream
    assert "повреждён" in russian(refusal(damaged), "DAMAGED_FILE")
    text = russian(refusal(unreadable), "UNREADABLE_FILE")
    assert "(формат xls) не удаётся прочитать" in text and "(.xlsx)" in text


def test_a_sheet_with_broken_xml_is_named(tmp_path: Path, register: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(register) as src, zipfile.ZipFile(broken, "w") as dst:
        for member in src.namelist():
            data = src.read(member)
            dst.writestr(member, data[: len(data) // 2] if "worksheets/" in member else data)
    text = russian(refusal(broken), "UNREADABLE_SHEET")
    assert "не удаётся прочитать лист «Assets»" in text


def test_every_refusal_of_the_readers_and_the_service_carries_a_code() -> None:
    """A refusal without a code would reach the sender in English: none may be raised."""
    package = Path(error_text.__file__).parent.parent
    makers = {"InputError", "LimitExceeded", "_fail"}
    refusals = []
    for module in (
        "read/sheets",
        "read/xmlss",
        "read/register",
        "service/isolation",
        "service/lifecycle",
    ):
        tree = ast.parse((package / f"{module}.py").read_text(encoding="utf-8"))
        refusals += [
            (f"{module}.py:{node.lineno}", any(k.arg == "code" for k in node.keywords))
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in makers
        ]
    assert len(refusals) >= 25
    assert [where for where, coded in refusals if not coded] == []


# --- the register inside the file -----------------------------------------------------------


def test_no_header_names_the_sheet_what_was_found_and_what_was_expected(
    tmp_path: Path, rules: Rules
) -> None:
    spec = SheetSpec("Лист1").row(1, ["Код", "Описание", "Сумма"]).row(2, ["1", "Стол", "10"])
    path = write(tmp_path / "r.xlsx", "xlsx", spec)
    text = russian(refusal(path, rules), "NO_HEADER")
    assert "не найдена строка заголовков" in text
    assert "лист «Лист1»: «Код», «Описание», «Сумма»" in text
    assert "«инвентарный номер»" in text
    assert "rules/columns.yaml" in text


def test_an_empty_workbook_says_it_holds_nothing(tmp_path: Path, rules: Rules) -> None:
    path = tmp_path / "r.xlsx"
    openpyxl.Workbook().save(path)
    assert "пустой" in russian(refusal(path, rules), "EMPTY_FILE")


def test_a_header_without_rows_names_the_sheet_and_the_header_row(
    tmp_path: Path, rules: Rules
) -> None:
    spec = SheetSpec("TDSheet").row(1, ["Инв. №", "Наименование"]).row(2, ["Итого", None])
    path = write(tmp_path / "r.xlsx", "xlsx", spec)
    text = russian(refusal(path, rules), "NO_DATA_ROWS")
    assert "лист «TDSheet», заголовок в строке 1" in text


def test_an_unreadable_cost_names_sheet_row_column_expected_and_found(
    tmp_path: Path, rules: Rules
) -> None:
    spec = SheetSpec("TDSheet").row(1, ["Инв. №", "Наименование", "Стоимость"])
    spec.row(2, ["1", "Стол", "10"]).row(3, ["2", "Стул", "около ста"])
    path = write(tmp_path / "r.xlsx", "xlsx", spec)
    text = russian(refusal(path, rules), "UNREADABLE_CELL")
    assert (
        "Файл «ведомость.xlsx», лист «TDSheet», строка 3, столбец «Стоимость» (C): записано "
        "«около ста», а нужно указать число, например 1 234 567,89." in text
    )
    assert "Исправьте или очистите эту ячейку" in text


def test_an_unreadable_date_is_a_warning_on_its_row_not_a_refusal(
    tmp_path: Path, rules: Rules
) -> None:
    """A date decides no finding the way a cost does: one odd date must not refuse the file."""
    spec = SheetSpec("ОС").row(1, ["Инв. №", "Наименование", "Дата принятия к учету"])
    spec.row(2, ["1", "Стол", "вчера"])
    spec.row(3, ["2", "Стул", "15.03.2019"])
    register = read_register(write(tmp_path / "r.xlsx", "xlsx", spec), rules.columns)
    assert [r.acquired_on for r in register.rows] == [None, date(2019, 3, 15)]
    (warning,) = map(str, register.warnings)
    assert "sheet 'ОС' row 2 column 'Дата принятия к учету' (C)" in warning
    assert "'вчера'" in warning and "left empty" in warning


def test_an_inventory_that_cannot_be_loaded_is_not_the_senders_fault(
    tmp_path: Path, rules: Rules
) -> None:
    with pytest.raises(InputError) as caught:
        load_inventory(InventoryConfig(path=tmp_path / "нет.xlsx"), rules)
    assert caught.value.code == "INVENTORY_UNAVAILABLE"
    text = describe(caught.value, "ru")
    assert "учет оборудования ИТ" in text and "Ваш файл здесь ни при чём" in text
    assert "нет.xlsx" in caught.value.params["detail"]  # for the administrator


# --- the catalogue ------------------------------------------------------------------------


def test_every_code_raised_in_the_package_is_in_the_catalogue() -> None:
    package = Path(error_text.__file__).parent.parent
    raised = set()
    for source in package.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        raised |= set(re.findall(r'\bcode="([A-Z_]+)"', text))
        raised |= set(re.findall(r'\bdefault_code = "([A-Z_]+)"', text))
    assert len(raised) >= 15
    assert raised <= set(CATALOGUE), raised - set(CATALOGUE)


def test_both_languages_of_a_code_name_the_same_values() -> None:
    for code, entry in CATALOGUE.items():
        fields = {
            lang: set(re.findall(r"\{(\w+)\}", " ".join(entry[lang]))) for lang in ("ru", "en")
        }
        assert fields["ru"] == fields["en"], code


def test_render_gives_the_reason_then_what_to_do() -> None:
    text = render("FILE_TOO_LARGE", {"file": NAME, "size_mb": 12.5, "limit_mb": 10}, "ru")
    assert text.startswith("Файл «ведомость.xlsx» слишком большой: 12,5 МБ")
    assert "не больше 10 МБ" in text and "Разделите ведомость" in text
    assert "12.5 MB" in render("FILE_TOO_LARGE", {"file": NAME, "size_mb": 12.5}, "en")


def test_an_error_without_a_code_falls_back_to_its_english_message() -> None:
    error = ConfigError("key 'inbox': expected a folder", source="config.yaml")
    assert describe(error, "ru") == str(error)
    said = explain(None, {}, "ru", message="something odd")
    assert said.reason == "something odd" and "положите в папку снова" in said.fix


def test_a_record_survives_json_and_a_plain_reason_reads_as_a_message() -> None:
    error = InputError("x", file=NAME, sheet="TDSheet", row=3, code="UNREADABLE_CELL")
    record = ErrorRecord.of(error)
    assert ErrorRecord.from_json(record.to_json()) == record
    assert record.params == {"file": NAME, "sheet": "TDSheet", "row": 3}
    assert ErrorRecord.from_json("password protected") == ErrorRecord("password protected")


def test_the_note_beside_a_quarantined_file_has_the_configured_language_first() -> None:
    record = ErrorRecord.of(InputError("the workbook is password protected", file=NAME,
                                       code="PASSWORD_PROTECTED"))  # fmt: skip
    for language, first, second in (("ru", "Причина:", "Reason:"), ("en", "Reason:", "Причина:")):
        text = note(record, NAME, language)
        assert text.index(first) < text.index(second)
        assert text.rstrip().endswith(f"{NAME}: the workbook is password protected")


# --- across the process boundary, into the email and the outbox ------------------------------


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A demo workspace (synthetic inventory, a 1C register); config.yaml says language ru."""
    result = CliRunner().invoke(cli, ["demo", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    return tmp_path / "ws"


def locked_register(workspace: Path, tmp_path: Path) -> Path:
    """The demo register, encrypted with a password, saved as NAME."""
    plain = next(p for p in (workspace / "inbox").rglob("*.xlsx"))
    locked = tmp_path / NAME
    with plain.open("rb") as src, locked.open("wb") as dst:
        OOXMLFile(src).encrypt("secret", dst)
    return locked


def test_the_child_process_hands_the_code_and_params_to_the_parent(
    workspace: Path, tmp_path: Path
) -> None:
    """The real pipeline in the real child process; the parent gets more than English text."""
    config = load_config(workspace / "config.yaml")
    lock = os.open(tmp_path / "file.lock", os.O_RDWR | os.O_CREAT)
    try:
        outcome = isolation.run_isolated(
            config,
            path=locked_register(workspace, tmp_path),
            file_name=NAME,
            folder="",
            run_id="20261124-100000-000-test",
            duplicate_of=None,
            lock_fd=lock,
            should_stop=lambda: False,
        )
    finally:
        os.close(lock)
    assert outcome is not None and outcome.error is not None
    assert outcome.error.code == "PASSWORD_PROTECTED"
    assert outcome.error.params == {"file": NAME}
    assert outcome.reason == outcome.error.message and "password protected" in outcome.reason


def test_the_quarantine_email_speaks_the_configured_language(tmp_path: Path) -> None:
    record = ErrorRecord.of(
        InputError("column 'Стоимость' (C): expected a number", file=NAME, sheet="TDSheet",
                   row=3, code="UNREADABLE_CELL",
                   params={"column": "Стоимость", "column_letter": "C", "value": "около ста",
                           "expected": "number"})
    )  # fmt: skip
    base = {"inventory": {"path": str(tmp_path / "i.xlsx")}, "state": str(tmp_path / "s")}
    for language, where, fix in (
        ("ru", "лист «TDSheet», строка 3", "Что сделать: Исправьте или очистите эту ячейку"),
        ("en", "sheet “TDSheet”, row 3", "What to do: Correct or clear that cell"),
    ):
        config = Config.model_validate({**base, "report": {"language": language}})
        composed = mail_compose.compose_quarantine(
            config, file_name=NAME, folder="", reason=record.to_json(), quarantine_id="q1"
        )
        assert where in composed.text and where in composed.html
        assert fix in composed.text
        assert '"code"' not in composed.text  # the record is read, never shown
        assert record.message in composed.text  # the English line, for IT, at the end


def test_reconciler_run_on_a_locked_file_writes_the_russian_note_first(
    workspace: Path, tmp_path: Path
) -> None:
    locked = locked_register(workspace, tmp_path)
    result = CliRunner().invoke(
        cli, ["run", str(locked), "--config", str(workspace / "config.yaml"), "--no-mail"]
    )
    assert result.exit_code == 2
    assert "Ошибка: Файл «ведомость.xlsx» защищён паролем" in result.output  # report.language
    [error_txt] = (workspace / "outbox").glob("*/error.txt")
    text = error_txt.read_text(encoding="utf-8")
    assert text.startswith("Файл «ведомость.xlsx» не обработан.\nПричина: Файл «ведомость.xlsx» "
                           "защищён паролем")  # fmt: skip
    assert "The file “ведомость.xlsx” is protected by a password" in text
    assert '"code"' not in text  # the record is read, never shown
