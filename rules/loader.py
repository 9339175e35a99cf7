"""Load and check the rules data files.

:func:`load_rules` reads every file of a rules folder, validates it with the models of
:mod:`rules.model` and checks the references between files. Any problem raises
:class:`RulesError` naming the file and the item, so a bad edit never reaches a user.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from rules.figures import Figures, build_figures
from rules.model import (
    Certifications,
    Choices,
    Conditions,
    Contacts,
    Fields,
    Indicators,
    Meta,
    Plausibility,
    Source,
    Subsidies,
    Tiers,
    Topics,
)
from rules.profile import BOOL_FIELDS, FIELDS, LIST_FIELDS, MONEY_FIELDS, PERCENT_FIELDS

DATA_DIR = Path(__file__).parent / "data"

M = TypeVar("M", bound=BaseModel)


class RulesError(ValueError):
    """A rules data file is malformed; the message names the file and the item."""


@dataclass(frozen=True, eq=False)
class Rules:
    """Everything the engine and the dialogs know about the policies, at one version.

    Two Rules are the same only if they are the same object (the engine keeps what it
    derives from each one, see rules.engine._plan, for as long as the object lives)."""

    meta: Meta
    certifications: Certifications
    conditions: Conditions
    indicators: Indicators
    tiers: Tiers
    subsidies: Subsidies
    contacts: Contacts
    choices: Choices
    topics: Topics
    figures: Figures  # plausible ranges and which way is better, per numeric field
    fields: Fields

    @property
    def version(self) -> str:
        return self.meta.version


def load_rules(folder: Path | str = DATA_DIR) -> Rules:
    """Read and check every rules file in `folder`. Raises :class:`RulesError`."""
    folder = Path(folder)
    conditions = _load(folder, "conditions.toml", Conditions)
    indicators = _load(folder, "indicators.toml", Indicators)
    tiers = _load(folder, "tiers.toml", Tiers)
    subsidies = _load(folder, "subsidies.toml", Subsidies)
    plausibility = _load(folder, "plausibility.toml", Plausibility)
    try:
        figures = build_figures(plausibility, conditions, indicators, tiers, subsidies)
    except ValueError as exc:
        raise RulesError("\n".join(f"plausibility.toml: {line}" for line in str(exc).splitlines())) from None
    rules = Rules(
        meta=_load(folder, "meta.toml", Meta),
        certifications=_load(folder, "certifications.toml", Certifications),
        conditions=conditions,
        indicators=indicators,
        tiers=tiers,
        subsidies=subsidies,
        contacts=_load(folder, "contacts.toml", Contacts),
        choices=_load(folder, "choices.toml", Choices),
        topics=_load(folder, "topics.toml", Topics),
        figures=figures,
        fields=_load(folder, "fields.toml", Fields),
    )
    _check_references(rules)
    return rules


@cache
def default_rules() -> Rules:
    """The bundled rules, loaded once per process."""
    return load_rules(DATA_DIR)


def _load(folder: Path, name: str, model: type[M]) -> M:
    path = folder / name
    try:
        with path.open("rb") as fh:
            # TOML itself refuses duplicate keys and impossible dates.
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise RulesError(f"{name}: missing from {folder.name}/") from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{name}: {exc}{_quoted_line(path, str(exc))}") from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{name}: {_where(raw, err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise RulesError("\n".join(lines)) from None


def _quoted_line(path: Path, message: str) -> str:
    """The line a TOML error points at, so that the message shows the item, not only a number."""
    found = re.search(r"at line (\d+)", message)
    if found is None:
        return ""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    number = int(found.group(1))
    return f": {lines[number - 1].strip()}" if 0 < number <= len(lines) else ""


def _where(raw: Any, loc: tuple[int | str, ...]) -> str:
    """Render an error location, naming list items by their `id` or `number`."""
    parts: list[str] = []
    node = raw
    for key in loc:
        if isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
            ident = node.get("id", node.get("number", node.get("option"))) if isinstance(node, dict) else None
            parts[-1:] = [f"{parts[-1] if parts else ''}[{ident if ident is not None else key}]"]
        elif isinstance(node, dict) and key in node:
            node = node[key]
            parts.append(str(key))
        else:
            parts.append(str(key))
            node = None
    return ".".join(parts) or "(top)"


def _check_references(rules: Rules) -> None:
    """Checks that span files: seeds cited, levels and fields that exist."""
    seeds = {s.file for s in rules.meta.sources}
    levels = set(rules.certifications.ids)
    problems: list[str] = []

    def cite(where: str, source: Source) -> None:
        if source.file not in seeds:
            problems.append(f"{where}: cites {source.file!r}, not a source in meta.toml")

    cite("certifications.toml", rules.certifications.source)
    c = rules.conditions
    for name in ("innovative_sme", "niche_years", "rd_expense", "revenue", "score_or_direct"):
        cite(f"conditions.toml: {name}", getattr(c, name).source)
    for level_id in (c.innovative_sme.min_certification, c.recognition_level):
        if level_id not in levels:
            problems.append(f"conditions.toml: unknown certification level {level_id!r}")
    for route in c.direct_route:
        cite(f"conditions.toml: direct_route[{route.id}]", route.source)
        if route.field not in FIELDS:
            problems.append(f"conditions.toml: direct_route[{route.id}]: unknown field")
    for group in rules.indicators.group:
        cite(f"indicators.toml: group[{group.id}]", group.source)
    for ind in rules.indicators.indicator:
        where = f"indicators.toml: indicator[{ind.number}]"
        cite(where, ind.source)
        for field in ind.fields:
            if field not in FIELDS:
                problems.append(f"{where}: unknown profile field {field!r}")
    for tier in rules.tiers.tier:
        where = f"tiers.toml: tier[{tier.id}]"
        cite(where, tier.source)
        for named in (tier.enterprise.min_certification, tier.enterprise.preferred_certification):
            if named is not None and named not in levels:
                problems.append(f"{where}: unknown certification level {named!r}")
    for sub in rules.subsidies.subsidy:
        where = f"subsidies.toml: subsidy[{sub.id}]"
        cite(where, sub.source)
        for clause in sub.when:
            for named in [clause.min_certification, *(clause.certifications or [])]:
                if named is not None and named not in levels:
                    problems.append(f"{where}: unknown certification level {named!r}")
    cite("contacts.toml: association", rules.contacts.association.source)
    cite("contacts.toml: listing_alliance", rules.contacts.listing_alliance.source)
    cite("contacts.toml: districts", rules.contacts.districts.source)
    problems += _check_fields(rules.fields, cite)
    if problems:
        raise RulesError("\n".join(problems))


def column_key(name: str) -> str:
    """How a column name is compared: half-width, case-folded, without spaces."""
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


def _expected_kind(field: str) -> str:
    if field in MONEY_FIELDS:
        return "money"
    if field in PERCENT_FIELDS:
        return "percent"
    if field in LIST_FIELDS:
        return "multi"
    if field in BOOL_FIELDS:
        return "yesno"
    return "years" if field == "niche_years" else "choice"


def _check_fields(fields: Fields, cite: Any) -> list[str]:
    """fields.toml names every profile field once, with the right kind and no shared names."""
    problems: list[str] = []
    ids = [f.id for f in fields.field]
    for missing in (f for f in FIELDS if f not in ids):
        problems.append(f"fields.toml: profile field {missing!r} is missing")
    names: dict[str, str] = {}
    for f in fields.field:
        where = f"fields.toml: field[{f.id}]"
        if f.id not in FIELDS:
            problems.append(f"{where}: not a profile field")
            continue
        if f.kind != _expected_kind(f.id):
            problems.append(f"{where}: kind {f.kind!r}, but the profile field is {_expected_kind(f.id)!r}")
        cite(where, f.source)
        for name in dict.fromkeys(column_key(n) for n in (f.id, f.label.zh, f.label.en, *f.aliases)):
            other = names.setdefault(name, f.id)
            if other != f.id:
                problems.append(f"{where}: the name {name!r} also names field {other!r}")
    return problems
