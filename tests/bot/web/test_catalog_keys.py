"""Every catalog key the console's templates ask for exists in every language (the locale
test reads the Python code; templates are read here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

from bot.broadcast.outbox import ROW_STATES
from bot.tickets import STATES
from dialogs.i18n import LANGS, load_catalogs
from rules.faq import Topic

TEMPLATES = Path(__file__).resolve().parents[3] / "bot" / "web" / "templates"
LITERAL = re.compile(r"\bt\('([a-z0-9_.]+)'(?! ~)")
BUILT = re.compile(r"\bt\('([a-z0-9_.]+\.)' ~ ")
# each key a template builds ('prefix.' ~ value), with every value it can take
BUILT_KEYS = {
    "broadcast.row.": set(ROW_STATES),
    "web.enquiries.": {"open", "handled", "all"},
    "web.groups.kind.": {"private", "group", "robot"},
    "web.knowledge.topic.": set(get_args(Topic)),
    "desk.state.": set(STATES),
    "web.desk.filter.": {"active", *STATES},
    "web.desk.lang.": {"zh", "en"},
}


def template_texts() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(TEMPLATES.glob("*.html"))}


def test_the_templates_are_read() -> None:
    assert "base.html" in template_texts() and len(template_texts()) >= 15


@pytest.mark.parametrize("lang", LANGS)
def test_every_literal_key_of_the_templates_exists(lang: str) -> None:
    messages = load_catalogs().messages[lang]
    missing = sorted(
        f"{name}: {key}" for name, text in template_texts().items() for key in LITERAL.findall(text)
        if key not in messages
    )  # fmt: skip
    assert missing == []


@pytest.mark.parametrize("lang", LANGS)
def test_every_built_key_of_the_templates_exists_for_every_value(lang: str) -> None:
    messages = load_catalogs().messages[lang]
    built = {prefix for text in template_texts().values() for prefix in BUILT.findall(text)}
    assert built == set(BUILT_KEYS)
    missing = sorted(p + v for p, values in BUILT_KEYS.items() for v in values if p + v not in messages)
    assert missing == []
