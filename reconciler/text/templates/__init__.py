"""The jinja2 templates of reports, emails and audit packs, and the one environment that
renders them: HTML autoescaped (untrusted register and inventory text), undefined names an
error rather than blank text.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES_DIR = Path(__file__).resolve().parent

_BETWEEN_TAGS = re.compile(r">\s*\n\s*<")
_NEWLINES = re.compile(r"\s*\n\s*")
_BLANK_RUNS = re.compile(r"\n{3,}")


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


def render_html(template: str, context: dict[str, Any]) -> str:
    """`template` rendered, on one line (one_line)."""
    return one_line(environment().get_template(template).render(context))


def render_text(template: str, context: dict[str, Any]) -> str:
    """`template` rendered as plain text: the blank lines of skipped blocks folded to one."""
    text = environment().get_template(template).render(context)
    return _BLANK_RUNS.sub("\n\n", text.strip()) + "\n"
