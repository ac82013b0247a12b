"""`reconciler demo DIR`: a self-contained workspace to try reconciler on synthetic data."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from reconciler.errors import ConfigError, Problem
from reconciler.rules import default_rules_dir
from reconciler.synth.generate import generate
from reconciler.synth.workbooks import write_inventory, write_register_1c, write_truth

log = logging.getLogger(__name__)

MARKER = ".reconciler-demo"  # marks a folder this function wrote, so it may write it again
DEPARTMENT = "moscow"
REGISTER_NAME = "ведомость-ОС.xlsx"

CONFIG_TEXT = """\
# reconciler demo workspace (written by `reconciler demo`). Relative paths resolve against
# this file's folder. Edit freely; `reconciler check --config config.yaml` validates it.
inbox: inbox            # drop registers into inbox/<department>/
outbox: outbox          # one folder per run
archive: archive
quarantine: quarantine
state: state
rules: rules            # a copy of the shipped rules: edit them here

inventory:
  path: inventory.xlsx  # the synthetic IT inventory (Snipe-IT export layout)

mail:
  transport: file       # .eml files in each run folder; nothing is sent
  from: reconciler@example.com
  recipients:
    default: [accounting@example.com]
    by_folder:
      {department}: [buh-msk@example.com]
  reviewers: [it-assets@example.com]
  allowed_domains: [example.com]
"""


def write_demo_workspace(directory: Path, seed: int = 7, rows: int = 60) -> list[Path]:
    """Write config.yaml, inventory.xlsx, the register, truth.json and rules/ into `directory`.

    The register (a 1C print) goes into the inbox, `inbox/moscow/ведомость-ОС.xlsx`, so both
    `reconciler run --config DIR/config.yaml <it>` and `reconciler watch` find it. truth.json
    says which assets each book row really is and which findings were planted. Rules files a
    user already edited in an earlier demo workspace are kept. Returns the files written.

    Raises ConfigError, writing nothing, when `directory` is a file or a non-empty folder that
    an earlier `reconciler demo` did not write.
    """
    directory = Path(directory)
    if rows < 1:
        raise ConfigError(
            Problem(
                f"--rows {rows}: expected at least 1 register row; pass --rows 60",
                "DEMO_ROWS",
                {"found": rows},
            )
        )
    if directory.exists() and not directory.is_dir():
        raise ConfigError(
            Problem(
                f"{directory} is a file; pass a new or empty folder for the demo workspace",
                "DEMO_IS_A_FILE",
                {"path": str(directory)},
            )
        )
    if directory.is_dir() and any(directory.iterdir()) and not (directory / MARKER).is_file():
        raise ConfigError(
            Problem(
                f"{directory} is not empty and is not an earlier demo workspace; nothing was "
                "written. Pass a new or empty folder",
                "DEMO_NOT_EMPTY",
                {"path": str(directory)},
            )
        )
    data = generate(rows, seed=seed)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text(f"seed {seed}, rows {rows}\n", encoding="utf-8")
    for sub in ("inbox", "outbox", "archive", "quarantine", "state"):
        (directory / sub).mkdir(exist_ok=True)
    config = directory / "config.yaml"
    config.write_text(CONFIG_TEXT.format(department=DEPARTMENT), encoding="utf-8")
    written = [
        config,
        write_inventory(data, directory / "inventory.xlsx"),
        write_register_1c(data, directory / "inbox" / DEPARTMENT / REGISTER_NAME),
        write_truth(data, directory / "truth.json"),
    ]
    rules = directory / "rules"
    rules.mkdir(exist_ok=True)
    for shipped in sorted(default_rules_dir().glob("*.yaml")):
        target = rules / shipped.name
        if not target.exists():
            shutil.copyfile(shipped, target)
        written.append(target)
    log.info("demo workspace in %s (seed %d, %d rows)", directory, seed, rows)
    return written
