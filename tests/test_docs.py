"""The README keeps up with the command line: every `zjtx` subcommand is documented."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import build_parser

README = Path(__file__).resolve().parent.parent / "README.md"


def commands(parser: argparse.ArgumentParser, prefix: str = "zjtx") -> Iterator[str]:
    """Every command as it is typed, down to the last level ("zjtx leads export")."""
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers and prefix != "zjtx":
        yield prefix
    for action in subparsers:
        for name, sub in action.choices.items():
            yield from commands(sub, f"{prefix} {name}")


COMMANDS = sorted(commands(build_parser()))


def documented(command: str, text: str) -> bool:
    # "zjtx assess" must not count as documented by "zjtx assessments export"
    return re.search(re.escape(command) + r"(?![\w-])", text) is not None


def test_the_command_line_is_read_down_to_its_last_level() -> None:
    assert {"zjtx chat", "zjtx assess", "zjtx leads export"} <= set(COMMANDS)
    assert "zjtx leads" not in COMMANDS
    assert not documented("zjtx assess", "zjtx assessments export")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_appears_in_the_readme(command: str) -> None:
    text = README.read_text(encoding="utf-8")  # read now: the README changes as we work
    assert documented(command, text), f"`{command}` is not mentioned in README.md"


# ---------------------------------------------------------------- docs/ are the project's own

DOCS = README.parent / "docs"
RULES_DOC = DOCS / "rules.md"
INTERFACES_DOC = DOCS / "interfaces.md"
SOURCES_CITING = ("bot", "dialogs", "rules", "tests", "bench")


def section(doc: Path, title: str) -> str:
    """The text of one `## title` section."""
    text = doc.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"{doc.name} has no section {title!r}"
    return match.group(1)


def anchors(doc: Path) -> set[str]:
    """GitHub's anchors of a document's headings."""
    headings = re.findall(r"^#+ (.+)$", doc.read_text(encoding="utf-8"), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in headings}


def rows(text: str) -> dict[str, str]:
    """A markdown table's rows by their first cell (backticks dropped)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells and not set(cells[0]) <= set("-: "):
            found[cells[0].split()[0].strip("`")] = line
    return found


def numbers(text: str) -> set[str]:
    return {n.replace(",", "").removesuffix(".0") for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}


def figure(value: object) -> str:
    text = str(value)
    return text.removesuffix(".0") if "." in text else text


def code_and_data_files() -> Iterator[Path]:
    for folder in SOURCES_CITING:
        for path in sorted((README.parent / folder).rglob("*")):
            if path.suffix in (".py", ".toml") and ".venv" not in path.parts:
                yield path
    yield README
    yield from sorted(DOCS.glob("*.md"))


def test_the_project_cites_only_documents_it_holds() -> None:
    stale = re.compile(r"rules\.md §|contract §|shared/spec|shared/seeds|/work/")
    cited = re.compile(r"docs/(\w+\.md)#([\w-]+)")
    problems = []
    for path in code_and_data_files():
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(README.parent)
        problems += [
            f"{where}: cites {m.group(0)!r}" for m in stale.finditer(text) if path.name != "test_docs.py"
        ]
        for doc, anchor in cited.findall(text):
            if not (DOCS / doc).exists() or anchor not in anchors(DOCS / doc):
                problems.append(f"{where}: docs/{doc}#{anchor} does not exist")
    assert problems == []


def test_the_profile_table_lists_every_field() -> None:
    from rules import FIELDS

    assert list(rows(section(INTERFACES_DOC, "Profile"))) == ["field", *FIELDS]


def test_the_assessment_example_has_every_key_and_the_ids_are_the_datas() -> None:
    import json
    from datetime import date

    from rules import assess, default_rules, parse_profile

    rules = default_rules()
    text = section(INTERFACES_DOC, "Assessment")
    example = json.loads(text.split("```json")[1].split("```")[0])
    assessment = assess(parse_profile({}, rules.contacts.districts), rules, date(2026, 1, 1))
    assert list(example) == list(assessment.contract())
    conditions = {c.id for c in assessment.conditions}
    routes = {r.id for r in rules.conditions.direct_route}
    tiers = {t.id for t in rules.tiers.tier}
    for ids, named in ((conditions, "failed_conditions"), (routes, "direct_pass"), (tiers, "tier")):
        line = next(line for line in text.splitlines() if line.startswith(f"- `{named}`"))
        assert ids <= set(re.findall(r"`(\w+)`", line)), named


def test_the_settings_table_is_the_settings() -> None:
    from bot.settings import Settings

    documented = rows(section(INTERFACES_DOC, "Settings"))
    documented.pop("variable")
    aliases = {str(info.alias): info.default for info in Settings.model_fields.values()}
    assert sorted(documented) == sorted(aliases)
    for alias, default in aliases.items():
        shown = documented[alias].rstrip(" |").rsplit("|", 1)[1].strip()
        assert shown == (f"`{default}`" if default else "none"), alias


def test_the_http_paths_are_the_servers(tmp_path: Path) -> None:
    from bot.app import build
    from bot.settings import Settings

    settings = Settings(
        _env_file=None,
        ZJTX_DB=str(tmp_path / "zjtx.db"),
        TELEGRAM_BOT_TOKEN="1:a",
        TELEGRAM_WEBHOOK_URL="https://x.example/telegram/webhook",
        TELEGRAM_WEBHOOK_SECRET="s",
        WECOM_CORP_ID="ww1",
        WECOM_AGENT_ID=1,
        WECOM_SECRET="x",
        WECOM_TOKEN="t",
        WECOM_AES_KEY="a" * 43,
        WECHAT_APP_ID="wx1",
        WECHAT_APP_SECRET="s",
        WECHAT_TOKEN="t",
        WECHAT_AES_KEY="a" * 43,
        ZJTX_CONSOLE_KEY="0" * 43 + "=",
        ZJTX_PUBLIC_URL="https://console.example.org",
    )
    app = build(settings, worker=False)
    served = {route.resource.canonical for route in app.web().router.routes() if route.resource is not None}
    app.close()
    assert set(rows(section(INTERFACES_DOC, "HTTP paths"))) - {"path"} == served


def test_the_storage_table_lists_every_table() -> None:
    from bot.db import connect

    db = connect(":memory:")
    tables = {r[0] for r in db.rows("SELECT name FROM sqlite_master WHERE type='table'")}
    db.close()
    documented = set(rows(section(INTERFACES_DOC, "Storage"))) - {"table"}
    assert documented == tables - {"_sqlite_migrations"}


# ---------------------------------------------------------------- docs/rules.md against rules/data


def test_the_conditions_and_routes_state_the_datas_figures() -> None:
    from rules import default_rules

    c = default_rules().conditions
    table = rows(section(RULES_DOC, "Eligibility"))
    expected: dict[str, list[object]] = {
        "niche_years": [c.niche_years.min_years],
        "rd_expense": [c.rd_expense.min_amount, c.rd_expense.min_ratio_pct],
        "revenue": [c.revenue.min_revenue, c.revenue.alt_min_equity_financing],
        "score_or_direct": [c.score_or_direct.min_score],
        **{r.id: [r.min_amount] if r.min_amount is not None else [] for r in c.direct_route},
    }
    for key, figures in expected.items():
        assert {figure(f) for f in figures} <= numbers(table[key]), key
    assert "innovative_sme" in table


def test_the_indicators_state_the_datas_bands_and_points() -> None:
    from rules import default_rules
    from rules.model import BandHighPart, BandLowPart, ChoicePart, MultiPart, RatioHighPart, StepPart

    indicators = default_rules().indicators
    table = rows(section(RULES_DOC, "Indicators"))
    for ind in indicators.indicator:
        wanted = {figure(ind.max)}
        for part in ind.part:
            if isinstance(part, BandHighPart | BandLowPart | RatioHighPart):
                for band in part.bands:
                    bound = band.max if isinstance(part, BandLowPart) else band.min
                    wanted |= {figure(band.points), *([figure(bound)] if bound is not None else [])}
            elif isinstance(part, StepPart):
                wanted |= {figure(part.step), figure(part.points_per_step)}
            elif isinstance(part, MultiPart):
                wanted.add(figure(part.points_each))
            elif isinstance(part, ChoicePart):
                wanted |= {figure(o.points) for o in part.options}
        row = table[str(ind.number)]
        assert wanted <= numbers(row) | {"0", figure(ind.max)}, (ind.number, wanted - numbers(row))
    groups = section(RULES_DOC, "Indicators").split("Group maxima:")[1].split("\n\n")[0]
    stated = {f"{name} {points}" for name, points in re.findall(r"(\w+) (\d+)", groups)}
    assert {f"{g.id} {g.max}" for g in indicators.group} <= stated


def test_the_tiers_subsidies_and_topics_are_the_datas() -> None:
    from rules import default_rules

    rules = default_rules()
    tiers = rows(section(RULES_DOC, "Tiers"))
    for tier in rules.tiers.tier:
        e, s = tier.enterprise, tier.service_institution
        figures = [
            e.min_revenue,
            s.min_registered_capital,
            *([e.min_profit] if e.min_profit is not None else []),
        ]
        assert {figure(f) for f in figures} <= numbers(tiers[tier.id]), tier.id
    subsidies = rows(section(RULES_DOC, "Subsidies"))
    assert set(subsidies) - {"id"} == {s.id for s in rules.subsidies.subsidy}
    for sub in rules.subsidies.subsidy:
        a = sub.amount
        figures = [v for v in (a.amount, a.cap, a.share_pct) if v is not None]
        figures += [c.min_annual_tax for c in sub.when if c.min_annual_tax is not None]
        assert {figure(f) for f in figures} <= numbers(subsidies[sub.id]), sub.id
    topics = section(RULES_DOC, "Broadcast topics")
    assert [t for t in re.findall(r"`(\w+)`", topics) if t in rules.topics.ids] == list(rules.topics.ids)
    ladder = section(RULES_DOC, "Tiers").split("Certification ladder")[1]
    assert [level for level in re.findall(r"`(\w+)`", ladder)] == rules.certifications.ids
