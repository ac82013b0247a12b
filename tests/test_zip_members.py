"""Members copied raw and members deflated ahead (outputs/zip_members): the copy reads the
same, and a member deflated ahead is the same bytes as one deflated in place."""

from __future__ import annotations

import contextlib
import errno
import io
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from reconciler.outputs.xlsx_package import Package
from reconciler.outputs.zip_members import (
    DEFLATE_LEVEL,
    WRITE_BYTES,
    Spool,
    Spooled,
    write_member,
)


def _workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Реестр"
    for r in range(1, 400):
        ws.append([r, f"строка {r}", r * 1.5])
    wb.create_sheet("Other")["A1"] = "kept"
    wb.save(path)
    return path


def _raw(data: bytes, name: str) -> bytes:
    """A member's compressed bytes as they sit in the zip."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo(name)
        start = info.header_offset + 30
        header = data[info.header_offset : start]
        start += int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")
        return data[start : start + info.compress_size]


def _pieces(seed: int) -> Iterator[bytes]:
    """Three and a half MiB in uneven pieces: the writer joins them at its 1 MiB mark."""
    for i in range(7000):
        yield (f'<row r="{i}" s="{seed}">' + "x" * (i % 977) + "</row>").encode()


def test_a_member_we_do_not_change_is_copied_as_it_was_deflated(tmp_path: Path) -> None:
    source = _workbook(tmp_path / "book.xlsx")
    package = Package.open(source)
    package.replace("xl/worksheets/sheet1.xml", b"<worksheet/>")
    out = io.BytesIO()
    package.write(out)
    package.close()
    original = source.read_bytes()
    copy = out.getvalue()
    with zipfile.ZipFile(source) as z:
        names = z.namelist()
        kept = [n for n in names if n != "xl/worksheets/sheet1.xml"]
    with zipfile.ZipFile(io.BytesIO(copy)) as z:
        assert z.namelist() == names
        assert z.testzip() is None  # every CRC checks
        with zipfile.ZipFile(source) as before:
            for name in kept:
                assert z.read(name) == before.read(name)
                assert _raw(copy, name) == _raw(original, name), name
        assert z.read("xl/worksheets/sheet1.xml") == b"<worksheet/>"


def test_members_deflated_ahead_are_the_same_bytes_as_members_deflated_in_place(
    tmp_path: Path,
) -> None:
    source = _workbook(tmp_path / "book.xlsx")
    sheet = "xl/worksheets/sheet1.xml"

    in_place = Package.open(source)
    in_place.replace(sheet, _pieces(1))
    in_place.add_part("xl/worksheets/sheet9.xml", _pieces(2), None)
    in_place.add_part("xl/small.xml", b"<small/>", None)
    expected = io.BytesIO()
    in_place.write(expected)
    in_place.close()

    waited: list[str] = []
    with tempfile.TemporaryFile(dir=tmp_path) as file:
        spool = Spool(file, ready=lambda: waited.append("ready"))
        spool.write({sheet: _pieces(1)})
        ahead = Package.open(source)
        ahead.replace(sheet, Spooled(spool, sheet))
        ahead.add_part("xl/worksheets/sheet9.xml", _pieces(2), None)
        ahead.add_part("xl/small.xml", b"<small/>", None)
        got = io.BytesIO()
        # sheet9 is made here while sheet1 is "not ready": it is deflated ahead too
        ahead.write(got, spool_dir=str(tmp_path))
        ahead.close()
    assert waited == ["ready"]
    assert got.getvalue() == expected.getvalue()
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]  # no spool left behind


def test_a_member_whose_bytes_do_not_match_its_crc_is_refused_as_zipfile_would(
    tmp_path: Path,
) -> None:
    source = _workbook(tmp_path / "book.xlsx")
    data = bytearray(source.read_bytes())
    name = b"xl/worksheets/sheet2.xml"
    with zipfile.ZipFile(source) as z:
        local = z.getinfo(name.decode()).header_offset
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name:
        central = data.index(b"PK\x01\x02", central + 1)
    data[local + 14] ^= 0xFF  # the CRC, in the local header and in the central directory
    data[central + 16] ^= 0xFF
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(bytes(data))
    package = Package.open(broken)
    with pytest.raises(zipfile.BadZipFile, match="CRC"):
        package.read("xl/worksheets/sheet2.xml")
    assert package.read("xl/worksheets/sheet1.xml").startswith(b"<worksheet")
    package.close()


def test_pieces_deflated_in_a_thread_are_the_bytes_one_thread_makes_of_the_same_writes(
    tmp_path: Path,
) -> None:
    from isal import isal_zlib

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        write_member(z, zipfile.ZipInfo("xl/worksheets/sheet1.xml"), _pieces(3))
    data = b"".join(_pieces(3))
    # The same writes (the pieces joined past 1 MiB), deflated here in order.
    compressor = isal_zlib.compressobj(DEFLATE_LEVEL, isal_zlib.DEFLATED, -15)
    expected, batch = [], b""
    for piece in _pieces(3):
        batch += piece
        if len(batch) > WRITE_BYTES:
            expected.append(compressor.compress(batch))
            batch = b""
    expected += [compressor.compress(batch), compressor.flush()]
    assert _raw(out.getvalue(), "xl/worksheets/sheet1.xml") == b"".join(expected)
    with zipfile.ZipFile(out) as z:
        assert z.read("xl/worksheets/sheet1.xml") == data  # its CRC and size check too


def test_a_full_disk_met_by_the_deflating_thread_is_raised_to_the_writer() -> None:
    made: list[int] = []

    def rows() -> Iterator[bytes]:  # 35 MB of rows, if all were made
        for i in range(70_000):
            made.append(i)
            yield (f'<row r="{i}">' + "x" * (i % 977) + "</row>").encode()

    full = open("/dev/full", "wb")  # noqa: SIM115 - closed below, whatever happens
    z = zipfile.ZipFile(full, "w")
    try:
        with pytest.raises(OSError) as caught:
            # the header waits in the file's buffer: the deflating thread's first write meets
            # the full disk
            write_member(z, zipfile.ZipInfo("xl/worksheets/sheet1.xml"), rows())
    finally:
        z.fp = None  # its end cannot be written either
        with contextlib.suppress(OSError):
            full.close()
    assert caught.value.errno == errno.ENOSPC
    assert len(made) < 70_000  # the rows stopped being made soon after
