"""The jinja2 templates of reports, emails and audit packs, and the one environment that
renders them: HTML autoescaped (untrusted register and inventory text), undefined names an
error rather than blank text.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import jinja2

TEMPLATES_DIR = Path(__file__).resolve().parent

_BETWEEN_TAGS = re.compile(r">\s*\n\s*<")
_NEWLINES = re.compile(r"\s*\n\s*")


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2")),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def one_line(html: str) -> str:
    """No newline between tags or inside text: yagmail turns each newline into <br>
    (PITFALLS.md), so HTML that may be mailed is kept on one line."""
    return _NEWLINES.sub(" ", _BETWEEN_TAGS.sub("><", html.strip()))
