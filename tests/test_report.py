"""report.py: results.json unchanged, the discrepancy workbook (one row per finding and the
assets not on the books), report.html (every finding, escaped, inline SVG charts, no scripts)
and the summary pieces the email reuses. The run is tests/run_fixtures.planted_run.
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import render
from markupsafe import escape
from run_fixtures import SCRIPT_NAME, planted_run

from reconciler.config import Config, InventoryConfig, ReportConfig
from reconciler.match.place_keys import person_key, place_key
from reconciler.models import NOTE_CODES, Finding, FindingCode, RunResult, Severity
from reconciler.outputs.charts import svg_bar_chart, text_px
from reconciler.outputs.figures import _grouped
from reconciler.outputs.forked import WorkerFailed
from reconciler.outputs.report import (
    render_report_html,
    render_summary_html,
    render_summary_text,
    results_to_dict,
    write_reports,
)
from reconciler.outputs.results import ResultsUnreadable, read_results, results_of
from reconciler.rules import Rules


def _config(language: str = "ru") -> Config:
    return Config(
        inventory=InventoryConfig(path=Path("inventory.xlsx")),
        report=ReportConfig(language=language),  # type: ignore[arg-type]
    )


@pytest.fixture
def reported(tmp_path: Path, rules: Rules) -> tuple[RunResult, dict[str, Path]]:
    """The planted run (every code, a <script> name, an =HYPERLINK hostname) with its reports,
    and one lost-feature warning as the annotate stage would have added."""
    result = planted_run(tmp_path, rules)
    result.warnings.append("фигуры и надписи (лист «TDSheet»)")
    return result, write_reports(result, _config())


def test_write_reports_writes_results_json_the_workbook_and_the_html(reported) -> None:
    result, outputs = reported
    assert set(outputs) == {"results", "discrepancies", "report_html"}
    assert outputs["discrepancies"].name == "Книга ОС.discrepancies.xlsx"
    assert outputs["report_html"].name == "report.html"
    doc = json.loads(outputs["results"].read_text(encoding="utf-8"))
    assert doc["run_id"] == result.run_id and len(doc["findings"]) == len(result.findings)
    assert not [p for p in result.run_dir.iterdir() if p.name.startswith(".")]  # no temp left


def test_discrepancy_workbook_has_one_row_per_finding(reported) -> None:
    result, outputs = reported
    wb = openpyxl.load_workbook(outputs["discrepancies"])
    ws = wb["Расхождения"]
    header = [c.value for c in ws[1]]
    assert header[:8] == [
        "Лист",
        "Строка",
        "ID актива ИТ",
        "Код",
        "Принято (исключение)",
        "Комментарий",
        "Важность",
        "Описание",
    ]
    assert header[8:13] == ["Инв. №", "Наименование", "Местонахождение", "МОЛ", "Серийный номер"]
    lines = [r for r in ws.iter_rows(min_row=2, max_row=len(result.findings) + 1, values_only=True)]
    assert sorted((str(r[3]), r[1] or 0, r[2] or "") for r in lines) == sorted(
        (f.code, f.row or 0, f.asset_id or "") for f in result.findings
    )
    kit = next(r for r in lines if r[3] == "KIT_INCOMPLETE")
    assert kit[8] == "ОС-000112" and kit[9] == "Комплект серверов (3 шт.)"
    not_on_books = [r[0] for r in wb["Нет в учете"].iter_rows(min_row=2, values_only=True)]
    assert not_on_books == ["A-20", "A-21", "A-23", "A-22"]  # to act on, disposed, low-value


def test_findings_are_listed_worst_first_then_largest_first(reported) -> None:
    result, outputs = reported
    ws = openpyxl.load_workbook(outputs["discrepancies"])["Расхождения"]
    order = {"высокая": 0, "средняя": 1, "низкая": 2, "справочно": 3}
    lines = list(ws.iter_rows(min_row=2, max_row=len(result.findings) + 1, values_only=True))
    # Notes (nothing to fix) after every discrepancy.
    keys = [(r[3] in NOTE_CODES or r[4] == "да", order[r[6]], -(r[15] or 0)) for r in lines]
    assert keys == sorted(keys) and len({k[1] for k in keys}) > 1


def test_discrepancy_workbook_names_the_source_and_writes_names_as_text(reported) -> None:
    result, outputs = reported
    wb = openpyxl.load_workbook(outputs["discrepancies"])
    cells = [c for row in wb["Расхождения"].iter_rows() for c in row if c.value is not None]
    texts = " ".join(str(c.value) for c in cells)
    assert result.register.sha256 in texts and result.run_id in texts
    assert all(c.data_type != "f" for c in cells)
    summary = {c.value for row in wb["Сводка"].iter_rows() for c in row if c.value}
    assert "• фигуры и надписи (лист «TDSheet»)" in summary


def test_html_contains_every_finding_escaped(reported) -> None:
    result, outputs = reported
    page = outputs["report_html"].read_text(encoding="utf-8")
    for f in result.findings:
        assert str(escape(f.message)) in page, f.code
    assert "<script>" not in page
    assert "&lt;script&gt;alert(" in page and str(escape(SCRIPT_NAME)) in page


def test_html_is_one_line_inline_css_no_scripts_or_external_resources(reported) -> None:
    result, outputs = reported
    page = outputs["report_html"].read_text(encoding="utf-8")
    assert "\n" not in page  # yagmail would turn each newline into <br>
    assert "<style" not in page and "<link" not in page and "<img" not in page
    assert not re.search(r"(src|href)=\"https?:", page)
    assert result.register.sha256 in page and result.run_id in page and "Книга ОС.xlsx" in page


def test_html_has_bar_charts_by_code_and_by_location_as_inline_svg(reported) -> None:
    _, outputs = reported
    page = outputs["report_html"].read_text(encoding="utf-8")
    svgs = re.findall(r"<svg .*?</svg>", page)
    assert len(svgs) == 2
    assert "Расхождения по видам" in svgs[0] and "Нет в ИТ-учете" in svgs[0]  # codes in words
    assert "Москва, ЦОД-1" in svgs[1] and "Офис 2" in svgs[1]
    # One bar per planted code but the note (a fully depreciated asset in use: nothing to fix).
    assert len(re.findall(r"<rect ", svgs[0])) == 11
    assert "Полностью амортизирован" not in svgs[0]


def test_html_groups_findings_by_location_and_custodian(reported) -> None:
    _, outputs = reported
    page = outputs["report_html"].read_text(encoding="utf-8")
    assert "Расхождения по местонахождению" in page and "Расхождения по МОЛ" in page
    assert "<td>Петров П.П.</td>" in page


def test_the_summary_block_for_email_is_one_line_html_and_plain_text(reported) -> None:
    result, _ = reported
    block = render_summary_html(result, "en")
    assert "\n" not in block and block.startswith("<div") and "Findings" in block
    fixes = [f for f in result.findings if not f.is_note]
    assert len(fixes) == len(result.findings) - 1  # the planted fully depreciated one: a note
    assert f"<td>{len(fixes)}</td>" in block.replace(' align="right"', "").replace(
        "<b>", ""
    ).replace("</b>", "")
    text = render_summary_text(result, "en")
    assert "<" not in text.replace("<script>", "")
    assert f"Findings: {len(fixes)}" in text and "Notes (nothing to fix): 1" in text
    assert "MISSING_IN_BOOKS" in text
    assert result.register.sha256 in text


def test_english_report_uses_english_words(tmp_path: Path, rules: Rules) -> None:
    result = planted_run(tmp_path, rules, language="en")
    page = render_report_html(result, "en")
    assert 'lang="en"' in page and "Findings by kind" in page
    assert "Not in the IT inventory: Сервер HP ProLiant DL380" in page


def test_libreoffice_opens_the_discrepancy_workbook(reported, tmp_path: Path) -> None:
    _, outputs = reported
    csv = render.convert(
        outputs["discrepancies"], "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path
    )
    text = csv.read_text(encoding="utf-8")
    assert text.startswith("Лист,Строка,ID актива ИТ,Код,Принято (исключение),Комментарий")


def test_results_json_says_when_the_same_content_was_processed_before(
    tmp_path: Path, rules: Rules
) -> None:
    result = planted_run(tmp_path, rules)
    assert "duplicate_of" not in results_to_dict(result)
    result.duplicate_of = {"run_id": "20261001-080000-abcdef", "received_at": "2026-10-01T08:00:00"}
    doc = results_to_dict(result)
    assert doc["duplicate_of"]["run_id"] == "20261001-080000-abcdef"


def test_results_json_reads_back_as_the_document_that_was_written(reported) -> None:
    """mail/ and decisions/ read results.json through the same model report.py writes it from."""
    result, outputs = reported
    back = read_results(outputs["results"].parent)
    assert back == results_of(result)
    assert back.run_id == result.run_id and back.source.file == "Книга ОС.xlsx"
    assert [f.code for f in back.findings] == [f.code for f in result.findings]
    assert back.summary.findings_by_code[FindingCode.MISSING_IN_BOOKS] >= 1
    assert outputs["results"].read_bytes() == back.to_json_bytes()  # keys and order kept


def test_a_results_json_of_another_version_is_refused_naming_the_file_and_both_versions(
    reported,
) -> None:
    _, outputs = reported
    doc = json.loads(outputs["results"].read_text(encoding="utf-8"))
    outputs["results"].write_text(json.dumps({**doc, "version": 2}), encoding="utf-8")
    with pytest.raises(
        ResultsUnreadable, match=r"results\.json: expected results\.json version 1, found 2"
    ):
        read_results(outputs["results"].parent)


def test_a_results_json_missing_a_key_is_refused_naming_the_key(reported) -> None:
    _, outputs = reported
    doc = json.loads(outputs["results"].read_text(encoding="utf-8"))
    del doc["summary"]["exit_code"]
    outputs["results"].write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ResultsUnreadable, match=r"bad `summary\.exit_code`"):
        read_results(outputs["results"].parent)


def _label_fits(svg: str) -> list[tuple[str, float, float]]:
    """(label, its estimated width, the room left of its right-anchored x) for each bar label."""
    out = []
    for x, text in re.findall(r'<text x="(\d+)" y="\d+" text-anchor="end">([^<]*)</text>', svg):
        label = html.unescape(text)
        out.append((label, text_px(label), float(x)))
    return out


def test_svg_labels_are_never_cut_however_long_up_to_sixty_characters() -> None:
    """Before: a 260 px label column and 40 characters; long Russian places were cut or
    ran off the left edge of the picture."""
    labels = [
        "Санкт-Петербург, Московский пр., 212, офис 3 этаж",  # 49 characters
        "ЕКАТЕРИНБУРГ, УЛ. МАЛЫШЕВА, СКЛАД ЗАПЧАСТЕЙ",
        "Ш" * 30,
        "Москва",
    ]
    svg = svg_bar_chart([(label, 3 - i % 3) for i, label in enumerate(labels)], "Места")
    fits = _label_fits(svg)
    assert [label for label, _, _ in fits] == labels  # every label whole, no "…"
    for label, width, room in fits:
        assert width <= room, label
    svg_width = int(re.search(r'<svg [^>]*width="(\d+)"', svg).group(1))  # type: ignore[union-attr]
    last_bar_end = max(
        int(x) + int(w) for x, w in re.findall(r'<rect x="(\d+)" y="\d+" width="(\d+)"', svg)
    )
    assert last_bar_end + text_px("3") <= svg_width  # the count beside the longest bar shows


def test_a_label_over_sixty_characters_is_shortened_and_whole_in_its_tooltip() -> None:
    long = "Москва, " + "очень длинное название помещения " * 3
    svg = svg_bar_chart([(long, 1)], "Места")
    ((shown, _, _),) = _label_fits(svg)
    assert shown.endswith("…") and len(shown) == 60
    assert escape(long.strip()) in svg or escape(long) in svg


def test_places_and_people_spelled_differently_are_one_group_named_by_the_usual_spelling() -> None:
    f = [Finding(FindingCode.LOCATION_MISMATCH, Severity.MEDIUM, "m") for _ in range(4)]
    places = ["Москва, офис, 5 этаж", "Москва офис 5 этаж", "Москва, офис, 5 этаж", "Казань"]
    groups = _grouped(f, {id(x): place for x, place in zip(f, places, strict=True)}, place_key)
    assert [(g.key, g.count) for g in groups] == [("Москва, офис, 5 этаж", 3), ("Казань", 1)]
    people = ["Данилова Е.Ю.", "Е.Ю. Данилова", "Данилова Елена Юрьевна", "Петров П.П."]
    groups = _grouped(f, {id(x): who for x, who in zip(f, people, strict=True)}, person_key)
    assert [g.count for g in groups] == [3, 1]


def column_width(ws, column: int) -> float:
    """The width Excel gives `column`: a <col> entry may cover several columns (xlsxwriter
    writes one for a run of equal widths), which openpyxl files under its first letter."""
    for dim in ws.column_dimensions.values():
        if dim.min and dim.max and dim.min <= column <= dim.max and dim.width:
            return float(dim.width)
    return 8.43


def _units(ch: str) -> float:
    return 0.5 if ch in " .,:;()-/'" else 1.15 if ch.isupper() else 1.0


def test_every_cell_of_the_discrepancy_workbook_shows_whole(reported) -> None:
    """What LibreOffice showed before: codes cut at 30 characters, messages running over the
    rows below, code and message of one finding at different heights of the row."""
    _, outputs = reported
    wb = openpyxl.load_workbook(outputs["discrepancies"])
    for title in ("Расхождения", "Нет в учете"):
        ws = wb[title]
        # One page wide: fitToWidth left out means 1 (its default in the file format).
        assert (
            ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
        )
        assert (ws.page_setup.fitToWidth or 1) == 1 and ws.page_setup.fitToHeight == 0
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
        last = int(re.sub(r"\D", "", ws.auto_filter.ref.split(":")[1]))  # the table, no footer
        for row in ws.iter_rows(min_row=2, max_row=last):
            for cell in row:
                if cell.value is None:
                    continue
                width = column_width(ws, cell.column)
                text = f"{cell.value:,.2f}" if isinstance(cell.value, float) else str(cell.value)
                if isinstance(cell.value, float):
                    assert cell.number_format == "#,##0.00", cell.coordinate
                assert cell.alignment.vertical == "top", cell.coordinate
                # Characters in units of the digit 0 (Calibri/Carlito, as LibreOffice renders
                # them): punctuation and spaces half, capitals wider, the rest at most one.
                lines = sum(
                    max(1, math.ceil(sum(_units(ch) for ch in part) / (width - 1)))
                    for part in text.split("\n")
                )
                if lines > 1:
                    assert cell.alignment.wrap_text, (title, cell.coordinate, text)
                    height = ws.row_dimensions[cell.row].height or 15
                    assert height >= 15 * lines, (title, cell.coordinate, text)
    codes = [c.value for c in wb["Расхождения"]["D"][1:] if c.value and c.value.isupper()]
    assert "BELOW_CAPITALIZATION_THRESHOLD" in codes
    assert not any(c.alignment.wrap_text for c in wb["Расхождения"]["D"][1:] if c.value in codes)


def test_the_value_at_stake_counts_each_row_and_asset_once(reported) -> None:
    """A row with two findings (cost and kit) is one asset: the demo's total exceeded what
    the rows in question are worth."""
    from decimal import Decimal

    from reconciler.outputs.figures import value_at_stake

    f = [
        Finding(
            FindingCode.COST_MISMATCH,
            Severity.MEDIUM,
            "m",
            "TDSheet",
            11,
            amount=Decimal("1863200"),
        ),
        Finding(
            FindingCode.KIT_INCOMPLETE,
            Severity.MEDIUM,
            "m",
            "TDSheet",
            11,
            amount=Decimal("1242133"),
        ),
        Finding(
            FindingCode.MISSING_IN_BOOKS, Severity.HIGH, "m", asset_id="A-1", amount=Decimal("100")
        ),
        Finding(
            FindingCode.MISSING_IN_BOOKS, Severity.HIGH, "m", asset_id="A-2", amount=Decimal("50")
        ),
        Finding(FindingCode.LOCATION_MISMATCH, Severity.MEDIUM, "m", "TDSheet", 12, amount=None),
    ]
    assert value_at_stake(f) == Decimal("1863350")
    result, outputs = reported
    doc = json.loads(outputs["results"].read_text(encoding="utf-8"))
    assert doc["summary"]["value_at_stake"] == float(value_at_stake(result.findings))


def test_a_long_list_in_the_html_stops_at_the_cap_and_the_workbook_keeps_every_finding(
    tmp_path: Path, rules: Rules
) -> None:
    """The planted run plus 1,100 location findings on made-up rows at 1,100 places: the html
    shows the first HTML_LIST_CAP of each list and says how many more are in the workbook."""
    from reconciler.outputs.report import HTML_LIST_CAP

    result = planted_run(tmp_path, rules)
    extra = [
        Finding(
            FindingCode.LOCATION_MISMATCH,
            Severity.MEDIUM,
            f"Место: в учете «Склад {i}», в ИТ «Офис {i}» (#{i:05d})",
            sheet="TDSheet",
            row=1000 + i,
            book_value=f"Склад {i}",
            it_value=f"Офис {i}",
        )
        for i in range(HTML_LIST_CAP + 100)
    ]
    planted = sum(f.code == "LOCATION_MISMATCH" for f in result.findings)  # listed first
    result.findings += extra
    outputs = write_reports(result, _config())
    page = outputs["report_html"].read_text(encoding="utf-8")
    shown = [f for f in extra if f.message in page]
    assert shown == extra[: HTML_LIST_CAP - planted]
    more = 100 + planted
    assert f"и еще {more} — см. книгу расхождений Книга ОС.discrepancies.xlsx" in page
    # Every finding of the planted codes (short lists) is still on the page.
    assert all(str(escape(f.message)) in page for f in result.findings if f not in extra)
    ws = openpyxl.load_workbook(outputs["discrepancies"], read_only=True)["Расхождения"]
    messages = {r[7] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert {f.message for f in extra} <= messages


def test_the_places_table_in_the_html_stops_at_the_cap_and_says_how_many_more(
    tmp_path: Path, rules: Rules
) -> None:
    """1,050 IT assets off the books, each at its own warehouse: 1,050+ places in the table."""
    from reconciler.models import Asset
    from reconciler.outputs.report import HTML_LIST_CAP

    result = planted_run(tmp_path, rules)
    n = HTML_LIST_CAP + 50
    for i in range(n):
        result.inventory.assets.append(Asset(f"X-{i}", location=f"Склад {i:04d}"))
        result.findings.append(
            Finding(
                FindingCode.MISSING_IN_BOOKS, Severity.HIGH, f"нет в учете X-{i}", asset_id=f"X-{i}"
            )
        )
    page = render_report_html(result, "ru")
    from reconciler.outputs.figures import compute_figures
    from reconciler.text.report import labels

    fig = compute_figures(result, labels("ru")["summary"]["unknown"])
    assert len(fig.by_location) > HTML_LIST_CAP
    # The busiest places first: the first HTML_LIST_CAP of them are in the table, no other.
    assert all(f"<td>{escape(g.key)}</td>" in page for g in fig.by_location[:HTML_LIST_CAP])
    assert not any(f"<td>{g.key}</td>" in page for g in fig.by_location[HTML_LIST_CAP:])
    # The places table first, then MISSING_IN_BOOKS: the 2 planted and the 1,050 added.
    assert re.findall(r"и еще (\d+) — см\. книгу расхождений", page) == [
        str(len(fig.by_location) - HTML_LIST_CAP),
        str(2 + n - HTML_LIST_CAP),
    ]


def test_notes_are_counted_apart_and_never_in_the_amount_at_stake(reported) -> None:
    """A fully depreciated asset still in use is normal accounting: a note, not a discrepancy
    (it added 15 M RUB to the amount at stake before)."""
    from decimal import Decimal

    from reconciler.outputs.figures import compute_figures, value_at_stake

    result, outputs = reported
    note = next(f for f in result.findings if f.code == "FULLY_DEPRECIATED_IN_SERVICE")
    assert note.is_note and note.amount
    fig = compute_figures(result)
    assert fig.notes == 1 and fig.findings == len(result.findings) - 1
    assert "FULLY_DEPRECIATED_IN_SERVICE" not in {g.key for g in fig.by_code}
    assert value_at_stake([note]) == Decimal(0)
    doc = json.loads(outputs["results"].read_text(encoding="utf-8"))
    assert doc["summary"]["notes"] == 1
    assert doc["summary"]["notes_by_kind"] == {"FULLY_DEPRECIATED_IN_SERVICE": 1}
    assert "FULLY_DEPRECIATED_IN_SERVICE" not in doc["summary"]["findings_by_code"]
    summary = openpyxl.load_workbook(outputs["discrepancies"])["Сводка"]
    facts = {r[0]: r[1] for r in summary.iter_rows(min_row=3, max_col=2, values_only=True)}
    assert facts["Примечаний (исправлять не нужно)"] == 1
    assert facts["Расхождений"] == fig.findings


def test_ci_installs_libreoffice_and_fails_a_render_test_without_it_instead_of_skipping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    update, install = ci.index("apt-get update"), ci.index("libreoffice-calc-nogui")
    assert update < install < ci.index("pytest") and "RECONCILER_REQUIRE_SOFFICE=1" in ci
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("RECONCILER_REQUIRE_SOFFICE", "1")
    with pytest.raises(pytest.fail.Exception, match="CI requires it"):
        render.soffice()
    monkeypatch.delenv("RECONCILER_REQUIRE_SOFFICE")
    with pytest.raises(pytest.skip.Exception):
        render.soffice()


def test_a_run_computes_its_figures_once_and_every_output_shows_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A synthetic register of 60 rows against 90 assets, run whole: the figures are computed
    once (pipeline hands them on), and the count of findings is one number everywhere."""
    from reconciler import pipeline, synth
    from reconciler.config import load_config
    from reconciler.outputs import figures
    from reconciler.text.report import labels

    data = synth.generate(60, 90, seed=5)
    synth.write_inventory(data, tmp_path / "inventory.xlsx")
    register = synth.write_register_1c(data, tmp_path / "register.xlsx")
    (tmp_path / "config.yaml").write_text(
        "inventory: {path: inventory.xlsx}\nmail: {transport: file}\n", encoding="utf-8"
    )
    computed: list[int] = []
    real = figures.compute_figures

    def counted(*args: Any, **kwargs: Any) -> figures.Figures:
        computed.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(figures, "compute_figures", counted)
    result = pipeline.run_file(register, load_config(tmp_path / "config.yaml"))
    assert len(computed) == 1
    doc = json.loads(result.outputs["results"].read_text(encoding="utf-8"))
    label = labels("ru")["summary"]["findings"]
    shown = []
    for kind in ("annotated", "discrepancies"):
        wb = openpyxl.load_workbook(result.outputs[kind], read_only=True)
        ws = wb[labels("ru")["sheet_summary"]]
        shown += [row[1] for row in ws.iter_rows(values_only=True) if row[0] == label]
        wb.close()
    assert doc["summary"]["findings"] > 0
    assert shown == [doc["summary"]["findings"]] * 2
    page = result.outputs["report_html"].read_text(encoding="utf-8")
    assert f">{doc['summary']['findings']}<" in page


def test_results_json_streamed_is_byte_for_byte_the_document_of_the_model(reported) -> None:
    """The planted run has review rows with candidates, assets on no book row, accepted and
    plain findings: every kind of item the stream writes, and the lists' ends."""
    result, outputs = reported
    whole = results_of(result, language="ru").to_json_bytes()
    assert outputs["results"].read_bytes() == whole
    doc = json.loads(whole)
    assert doc["rows"] and doc["assets_not_on_books"] and doc["findings"]
    # A review row lists its candidates; any other row has no such key, not a null one.
    assert all(("candidates" in r) == (r["status"] == "review") for r in doc["rows"])
    assert any(r["status"] == "review" for r in doc["rows"])


def test_results_json_with_empty_lists_streams_as_the_model_writes_them(
    reported, tmp_path: Path
) -> None:
    from dataclasses import replace

    from reconciler.outputs.results import read_results, write_results

    result, _outputs = reported
    empty = replace(result, findings=[], match=replace(result.match, unmatched_asset_ids=[]))
    path = write_results(empty, tmp_path / "results.json")
    assert path.read_bytes() == results_of(empty).to_json_bytes()
    read = read_results(tmp_path)
    assert read.findings == [] and read.assets_not_on_books == [] and read.rows


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_it_workbook_made_from_the_annotated_copys_tables_equals_one_made_alone(
    tmp_path: Path, rules: Rules, language: str
) -> None:
    """The run lays the findings and not-on-books tables out once: the IT workbook takes them
    from the annotated copy (its findings column D as codes, not words) and comes out the same,
    byte for byte in every part, as when it lays them out itself."""
    import io
    import zipfile

    from reconciler.outputs.annotate import build_annotated_workbook
    from reconciler.outputs.discrepancy_workbook import build_discrepancy_workbook
    from reconciler.outputs.table_writer import SharedTables

    result = planted_run(tmp_path, rules)
    alone = build_discrepancy_workbook(result, language)
    shared = SharedTables()
    build_annotated_workbook(result, rules, language, io.BytesIO(), shared=shared)
    assert set(shared.tables) == {f"not_on_books {language}", f"findings {language} False"}
    taken = build_discrepancy_workbook(result, language, shared=shared)
    with zipfile.ZipFile(io.BytesIO(alone)) as a, zipfile.ZipFile(io.BytesIO(taken)) as b:
        assert a.namelist() == b.namelist()
        assert all(a.read(name) == b.read(name) for name in a.namelist())
        codes = b.read("xl/worksheets/sheet1.xml").decode()
    assert "MISSING_IN_INVENTORY" in codes  # the IT workbook's column D, not the copy's words


def test_results_json_written_by_a_worker_is_the_one_written_here(
    tmp_path: Path, rules: Rules
) -> None:
    # At 100k rows a forked worker writes results.json while this process writes the
    # workbook and the html: the same files, byte for byte, either way.
    result = planted_run(tmp_path, rules)
    made = {}
    for parallel in (False, True):
        outputs = write_reports(result, _config(), parallel=parallel)
        made[parallel] = {kind: path.read_bytes() for kind, path in outputs.items()}
        assert not [p for p in result.run_dir.iterdir() if p.name.startswith(".")]
    assert made[True]["results"] == made[False]["results"]
    assert json.loads(made[True]["results"])["run_id"] == result.run_id
    assert made[True]["report_html"] == made[False]["report_html"]


def test_a_worker_that_cannot_write_results_json_fails_the_reports_as_our_fault(
    tmp_path: Path, rules: Rules
) -> None:
    result = planted_run(tmp_path, rules)
    (result.run_dir / "results.json").mkdir()  # the name taken by a folder: the rename fails
    with pytest.raises(WorkerFailed) as caught:
        write_reports(result, _config(), parallel=True)
    assert isinstance(caught.value.__cause__, OSError)
