"""Time layout.read_register on a large synthetic 1C print, and its peak memory.

Run: .venv/bin/python bench/bench_read.py [ROWS] [--profile]   (default 100000). Not a test.

The register is written once by reconciler.synth (generate + write_register_1c, ~30 s for
100k rows) and cached under bench/.data/ (gitignored). Each measured read runs in a fresh
child process so its peak RSS is the read's own, not the generator's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).parent / ".data"


def register_file(rows: int) -> Path:
    """The cached 1C print of `rows` rows (seed 7), written on first use."""
    path = DATA / f"register-1c-{rows}.xlsx"
    if not path.exists():
        from reconciler import synth

        started = time.perf_counter()
        data = synth.generate(rows)
        tmp = path.with_suffix(".tmp.xlsx")
        synth.write_register_1c(data, tmp)
        tmp.rename(path)
        print(f"wrote {path} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def peak_rss_mb() -> float:
    """VmHWM: this process's own peak (ru_maxrss would carry the parent's over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def measure(path: Path) -> dict[str, float]:
    """Runs in the child: one read, its stages timed, peak RSS of this process."""
    from reconciler.read import register as layout
    from reconciler.read.sheets import open_workbook
    from reconciler.rules import default_rules

    columns = default_rules().columns
    baseline = peak_rss_mb()
    started = time.perf_counter()
    book = open_workbook(path)
    grid = book.sheet(book.sheet_names[0])
    grid_s = time.perf_counter() - started
    del grid, book
    started, cpu = time.perf_counter(), time.process_time()
    register = layout.read_register(path, columns)
    total_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    peak = peak_rss_mb()
    return {
        "rows": len(register.rows),
        "file_mb": round(path.stat().st_size / 2**20, 1),
        "grid_s": round(grid_s, 2),
        "read_register_s": round(total_s, 2),
        "read_register_cpu_s": round(cpu_s, 2),
        "peak_rss_mb": peak,
        "rss_before_mb": baseline,
    }


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    rows = int(args[0]) if args else 100_000
    path = register_file(rows)
    if "--child" in sys.argv:
        print(json.dumps(measure(path)))
        return
    if "--profile" in sys.argv:
        from pyinstrument import Profiler

        from reconciler.read import register as layout
        from reconciler.rules import default_rules

        with Profiler() as profiler:
            layout.read_register(path, default_rules().columns)
        profiler.print(show_all=False)
        return
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, __file__, str(rows), "--child"],
            check=True,
            capture_output=True,
            text=True,
        )
        print(out.stdout.strip())


if __name__ == "__main__":
    main()
