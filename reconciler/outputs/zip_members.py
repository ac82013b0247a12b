"""Zip members written deflated, copied as they were deflated, or deflated ahead into a spool.

Three ways a member reaches the copy:
- written: its bytes deflated by ISA-L (or zlib) as they come (`write_member`);
- copied raw: a member of another zip whose deflate stream is taken as it is, with its CRC and
  sizes, never inflated or deflated again (`copy_raw`): the accountant's members we do not
  change, and the members deflated ahead;
- deflated ahead (`Spool`): members written into a zip of their own, a temporary file, while
  something else runs (the register sheets, by annotate's forked worker), and copied raw into
  the package when it is written, in their place in its order.

A member deflated ahead is deflated exactly as `write_member` would have deflated it in place
(the same compressor fed the same writes), so its bytes in the copy are the same either way.
"""

from __future__ import annotations

import queue
import struct
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO

try:
    from isal import isal_zlib as fast_deflate
except ImportError:  # an install that predates the dependency: zlib's level 6, as before
    fast_deflate = None  # type: ignore[assignment]

Content = bytes | Iterable[bytes]

# ISA-L's deflate at its level 2: on the 100k register sheet's XML an order of magnitude
# faster than zlib's level 6 (which was the largest single cost of annotate), for files
# about 30% larger (BENCHMARKS.md, issue 16).
DEFLATE_LEVEL = 2
# A member given as pieces is deflated in writes of a little more than this: the pieces that
# passed it, joined (sheet_stream batches its pieces at the same mark, so the deflater is fed
# the same writes however the pieces come).
WRITE_BYTES = 1 << 20
_COPY_BYTES = 1 << 20
# What ISA-L raises on a broken deflate stream (its stubs call it an instance, not a class).
_BAD_DEFLATE: type[Exception] = getattr(fast_deflate, "IsalError", zipfile.BadZipFile)
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then the name's and extra's lengths
# What a member may be deflated with to be copied raw: what every xlsx reader reads.
RAW_COPIED = (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED)


def open_member(dst: zipfile.ZipFile, info: zipfile.ZipInfo) -> IO[bytes]:
    """A member opened for writing, deflated by ISA-L when it is installed.

    zipfile has no hook for its compressor: the writer's own is swapped before the first
    byte. The CRC, the sizes and the headers are still zipfile's, and any deflate stream is
    read back by every zip reader (a test reads the copy back with zipfile's CRC check)."""
    sink = dst.open(info, "w")
    deflated = info.compress_type == zipfile.ZIP_DEFLATED
    if fast_deflate is not None and deflated and getattr(sink, "_compressor", None) is not None:
        compressor = fast_deflate.compressobj(DEFLATE_LEVEL, fast_deflate.DEFLATED, -15)
        setattr(sink, "_compressor", compressor)  # noqa: B010 (a private attribute)
    return sink


def write_member(dst: zipfile.ZipFile, info: zipfile.ZipInfo, content: Content) -> None:
    info.compress_type = zipfile.ZIP_DEFLATED
    if fast_deflate is None:
        with open_member(dst, info) as sink:
            for data in _writes(content):
                sink.write(data)
        return
    # Deflated and summed by ISA-L here, zipfile given the deflated bytes: its own CRC (zlib's)
    # ran over all 235 MB of the 100k register sheet, 6x slower than ISA-L's. The compressor
    # is fed the same writes as open_member's, so the bytes are the same.
    with dst.open(info, "w") as sink:
        setattr(sink, "_compressor", _AsGiven())  # noqa: B010 (a private attribute)
        deflater = _Deflater(sink)
        if isinstance(content, bytes):  # one write: nothing to make meanwhile
            deflater.run([content])
        else:
            deflater.run_beside(_writes(content))
        setattr(sink, "_crc", deflater.crc)  # noqa: B010
        setattr(sink, "_file_size", deflater.size)  # noqa: B010


class _Deflater:
    """A member's writes deflated by ISA-L, summed and written to `sink`, in order.

    Given pieces, it does that in a thread of its own while the caller's thread makes the next
    writes (the register sheet's rows, in annotate's worker): ISA-L lets go of the interpreter
    lock while it works, so the two share the machine's cores. One thread, fed in order: the
    same bytes as deflated in the caller's thread."""

    def __init__(self, sink: IO[bytes]) -> None:
        assert fast_deflate is not None
        self.sink = sink
        self.compressor = fast_deflate.compressobj(DEFLATE_LEVEL, fast_deflate.DEFLATED, -15)
        self.crc = 0
        self.size = 0

    def run(self, writes: Iterable[bytes]) -> None:
        assert fast_deflate is not None
        for data in writes:
            self.crc = fast_deflate.crc32(data, self.crc)
            self.size += len(data)
            self.sink.write(self.compressor.compress(data))
        self.sink.write(self.compressor.flush())

    def run_beside(self, writes: Iterable[bytes]) -> None:
        """`run` in a thread, fed `writes` as they are made (a few held at most)."""
        waiting: queue.Queue[bytes | None] = queue.Queue(maxsize=_WRITES_AHEAD)
        failed: list[BaseException] = []
        ended: list[bool] = []

        def taken() -> Iterator[bytes]:
            while (data := waiting.get()) is not None:
                yield data
            ended.append(True)

        def deflate() -> None:
            try:
                self.run(taken())
            except BaseException as e:  # raised in the caller's thread
                failed.append(e)
                if not ended:  # the caller may still be putting: let it finish
                    for _data in taken():
                        pass

        thread = threading.Thread(target=deflate, name="deflate", daemon=True)
        thread.start()
        try:
            for data in writes:
                if failed:
                    break
                waiting.put(data)
        finally:
            waiting.put(None)
            thread.join()
        if failed:
            raise failed[0]


_WRITES_AHEAD = 4  # writes of ~1 MiB made ahead of the deflater at most


def _writes(content: Content) -> Iterator[bytes]:
    """`content` as the writes the deflater is fed: pieces joined past WRITE_BYTES."""
    if isinstance(content, bytes):
        yield content
        return
    buffered: list[bytes] = []
    size = 0
    for piece in content:
        buffered.append(piece)
        size += len(piece)
        if size > WRITE_BYTES:
            yield b"".join(buffered)
            buffered, size = [], 0
    yield b"".join(buffered)


def read_member(src: zipfile.ZipFile, name: str) -> bytes:
    """Member `name` of `src`, inflated by ISA-L when deflated (2-3x zlib's speed on the
    register sheet; its CRC checked by ISA-L, 6x zlib's), else read by zipfile."""
    member = src.getinfo(name)
    if fast_deflate is None or member.compress_type != zipfile.ZIP_DEFLATED or member.flag_bits & 1:
        return src.read(name)
    try:
        data = fast_deflate.decompress(_raw(src, member), wbits=-15)
    except _BAD_DEFLATE as e:
        raise zipfile.BadZipFile(f"{name!r} cannot be inflated: {e}") from e
    if len(data) != member.file_size or fast_deflate.crc32(data) != member.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {name!r}")
    return data


def _raw(src: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    fp = _at_data(src, member)
    return fp.read(member.compress_size)


def _at_data(src: zipfile.ZipFile, member: zipfile.ZipInfo) -> IO[bytes]:
    """The zip's file, at the start of the member's compressed bytes."""
    fp = src.fp
    if fp is None:
        raise ValueError("the source zip is closed")
    fp.seek(member.header_offset)
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(fp.read(_LOCAL_HEADER.size))
    if signature != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"no local header for {member.filename!r}")
    fp.seek(member.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
    return fp


class _AsGiven:
    """A 'compressor' that gives back what it is given: the bytes are deflated already."""

    def compress(self, data: bytes) -> bytes:
        return data

    def flush(self) -> bytes:
        return b""


def copy_raw(
    dst: zipfile.ZipFile, info: zipfile.ZipInfo, src: zipfile.ZipFile, member: zipfile.ZipInfo
) -> None:
    """Member `member` of `src` written into `dst` as `info` (its name, date, attributes),
    its compressed bytes copied as they are: no inflate, no deflate, its CRC and sizes kept."""
    fp = _at_data(src, member)
    info.compress_type = member.compress_type
    info.file_size = member.file_size  # so zipfile chooses zip64 headers as for the original
    with dst.open(info, "w") as sink:
        if member.compress_type != zipfile.ZIP_STORED:
            setattr(sink, "_compressor", _AsGiven())  # noqa: B010 (a private attribute)
        left = member.compress_size
        while left:
            chunk = fp.read(min(left, _COPY_BYTES))
            if not chunk:
                raise zipfile.BadZipFile(f"{member.filename!r} ends early")
            sink.write(chunk)
            left -= len(chunk)
        # zipfile counted the deflated bytes as the member's: the member's own figures instead
        setattr(sink, "_crc", member.CRC)  # noqa: B010
        setattr(sink, "_file_size", member.file_size)  # noqa: B010


class Spool:
    """Members deflated ahead into a zip of their own in `file` (a temporary file), copied
    raw into a package later (`Spooled`). `ready`, when given, is waited for before the spool
    is first read: the members are written by another process (annotate's worker)."""

    def __init__(self, file: IO[bytes], ready: Callable[[], None] | None = None) -> None:
        self.file = file
        self.ready = ready
        self._zip: zipfile.ZipFile | None = None

    def write(self, members: Mapping[str, Content]) -> None:
        with zipfile.ZipFile(self.file, "w", zipfile.ZIP_DEFLATED) as z:
            for name, content in members.items():
                write_member(z, zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), content)
        self.file.flush()

    def member(self, name: str) -> tuple[zipfile.ZipFile, zipfile.ZipInfo]:
        if self._zip is None:
            if self.ready is not None:
                self.ready()
            self.file.seek(0)
            self._zip = zipfile.ZipFile(self.file)
        return self._zip, self._zip.getinfo(name)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
        self.file.close()


class Spooled:
    """A member's content deflated ahead: member `name` of `spool`."""

    def __init__(self, spool: Spool, name: str) -> None:
        self.spool = spool
        self.name = name


def write_content(dst: zipfile.ZipFile, info: zipfile.ZipInfo, content: Content | Spooled) -> None:
    """`content` written as member `info`: deflated, or copied raw when deflated ahead."""
    if isinstance(content, Spooled):
        src, member = content.spool.member(content.name)
        copy_raw(dst, info, src, member)
    else:
        write_member(dst, info, content)
