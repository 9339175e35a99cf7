"""Message catalogs: every user-facing sentence comes from ``locale/<lang>.po``.

Message ids are symbolic keys (``q.revenue.text``); placeholders use ``{name}``. The
catalogs are read once with Babel; a missing key falls back to Chinese, then to the key
itself, so a gap is visible but never fatal (a test keeps the catalogs complete).
"""

from __future__ import annotations

import importlib.util
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"


def _locale_dir() -> Path:
    """The catalogs: beside the packages in a checkout, or as `zjtx_locale` when installed."""
    beside = Path(__file__).resolve().parent.parent / "locale"
    if (beside / "zh.po").exists():
        return beside
    spec = importlib.util.find_spec("zjtx_locale")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / "zh.po").exists():
            return Path(location)
    raise FileNotFoundError("message catalogs (zh.po, en.po) not found")


def read_catalog(path: Path) -> dict[str, str]:
    """The messages of one .po file as {key: text}."""
    with path.open("rb") as fh:
        catalog = read_po(fh)
    return {str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.string, str)}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@dataclass(frozen=True)
class Catalogs:
    messages: Mapping[str, Mapping[str, str]]

    def text(self, lang: str, key: str, **values: Any) -> str:
        table = self.messages.get(lang) or self.messages[DEFAULT_LANG]
        template = table.get(key) or self.messages[DEFAULT_LANG].get(key) or key
        return template.format(**values) if values else template

    def has(self, key: str) -> bool:
        return key in self.messages[DEFAULT_LANG]


@cache
def load_catalogs(folder: Path | None = None) -> Catalogs:
    base = folder or _locale_dir()
    return Catalogs({lang: read_catalog(base / f"{lang}.po") for lang in LANGS})


def choose_lang(current: str, chosen: bool, hint: str | None) -> str:
    """The language to speak to a person, decided here for the engine and every channel:
    the one they chose with /lang, else their platform's (``hint``) when we speak it, else
    the one the session has."""
    if chosen:
        return current
    return normalize_lang(hint) or current


def normalize_lang(tag: str | None) -> str | None:
    """'en-US' → 'en', 'zh-hans' → 'zh'; None for a language we don't speak."""
    if not tag:
        return None
    head = tag.strip().lower().replace("_", "-").split("-")[0]
    return head if head in LANGS else None
