"""The self-assessment questionnaire: which question comes next, and its options.

The order follows the profile of docs/interfaces.md: organisation type; for a service
institution its short path; for an enterprise certification, district, the
basic-condition figures, the 13 indicators, the direct-pass questions (only below the
pass mark), the subsidy questions (only where the answer can change the hints, as the
subsidy items of the rules data say), then the summary (`confirm`).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from dialogs.parsing import Option, yes_no_options
from dialogs.session import Session
from rules import Assessment, ProfileError, Rules, assess, parse_profile
from rules.model import Certifications, ChoicePart, MultiPart, Subsidy
from rules.profile import Profile

Kind = Literal["money", "percent", "years", "choice", "multi", "yesno"]


@dataclass(frozen=True)
class Context:
    """What relevance rules may look at: the answers so far, scored once on demand."""

    session: Session
    rules: Rules
    today: date
    _cache: dict[str, Any]

    @property
    def answers(self) -> dict[str, Any]:
        return self.session.answers

    def profile(self) -> Profile:
        if "profile" not in self._cache:
            self._cache["profile"] = profile_of(self.session, self.rules)
        profile: Profile = self._cache["profile"]
        return profile

    def assessment(self) -> Assessment:
        if "assessment" not in self._cache:
            self._cache["assessment"] = assess(self.profile(), self.rules, self.today)
        result: Assessment = self._cache["assessment"]
        return result

    def rank(self) -> int:
        return self.rules.certifications.rank(self.answers.get("certification"))

    def level_rank(self, level: str) -> int:
        return self.rules.certifications.rank(level)


@dataclass(frozen=True)
class Step:
    field: str
    kind: Kind
    when: Callable[[Context], bool] = lambda ctx: True
    allow_negative: bool = False
    percent_low: Decimal | None = Decimal(0)
    percent_high: Decimal | None = Decimal(100)


def _enterprise(ctx: Context) -> bool:
    return bool(ctx.answers.get("org_type", "enterprise") == "enterprise")


def _institution(ctx: Context) -> bool:
    return ctx.answers.get("org_type") == "service_institution"


def _revenue_below_floor(ctx: Context) -> bool:
    floor = ctx.rules.conditions.revenue.min_revenue
    revenue = ctx.profile().revenue
    return _enterprise(ctx) and (revenue is None or revenue < floor)


def _below_pass_mark(ctx: Context) -> bool:
    if not _enterprise(ctx):
        return False
    score = ctx.assessment().score
    return score is not None and score < ctx.rules.conditions.score_or_direct.min_score


def _changes_a_subsidy(field: str) -> Callable[[Context], bool]:
    """Ask ``field`` when its answer can change a subsidy hint: some clause reading it holds
    for this organisation at its certification, or at the level it would reach (an eligible
    enterprise's potential subsidies), and the item does not hold there already whatever
    the answer is. Which clauses read which answers is the rules data's (Clause.fields)."""

    def when(ctx: Context) -> bool:
        readers = _subsidies_reading(ctx.rules).get(field)
        if not readers:
            return False
        org_type = ctx.answers.get("org_type", "enterprise")
        ladder = ctx.rules.certifications
        if _decides(readers, field, org_type, ctx.answers.get("certification"), ladder):
            return True
        target = ctx.rules.conditions.recognition_level
        return (  # the assessment last: it is the dear part
            org_type == "enterprise"
            and ctx.rank() < ctx.level_rank(target)
            and _decides(readers, field, org_type, target, ladder)
            and bool(ctx.assessment().eligible)
        )

    return when


def _decides(
    subsidies: tuple[Subsidy, ...], field: str, org_type: str, level: str | None, ladder: Certifications
) -> bool:
    """Whether ``field`` can decide one of ``subsidies`` for this organisation at ``level``."""
    for subsidy in subsidies:
        holding = [c for c in subsidy.when if c.level_holds(org_type, level, ladder)]
        if holding and all(c.fields for c in holding) and any(field in c.fields for c in holding):
            return True
    return False


_READERS: weakref.WeakKeyDictionary[Rules, dict[str, tuple[Subsidy, ...]]] = weakref.WeakKeyDictionary()


def _subsidies_reading(rules: Rules) -> dict[str, tuple[Subsidy, ...]]:
    """For each answer, the subsidy items with a clause that reads it (once per Rules)."""
    found = _READERS.get(rules)
    if found is None:
        readers: dict[str, list[Subsidy]] = {}
        for subsidy in rules.subsidies.subsidy:
            for name in dict.fromkeys(f for clause in subsidy.when for f in clause.fields):
                readers.setdefault(name, []).append(subsidy)
        found = _READERS[rules] = {name: tuple(items) for name, items in readers.items()}
    return found


def _always_enterprise(ctx: Context) -> bool:
    return _enterprise(ctx)


STEPS: tuple[Step, ...] = (
    Step("org_type", "choice"),
    # a service institution's short path
    Step("registered_capital", "money", _institution),
    Step("operates_park", "yesno", _changes_a_subsidy("operates_park")),
    # an enterprise: who it is
    Step("certification", "choice", _always_enterprise),
    Step("district", "choice"),
    # the basic conditions
    Step("niche_years", "years", _always_enterprise),
    Step("revenue", "money", _always_enterprise),
    Step("equity_financing_2y", "money", _revenue_below_floor),
    Step("rd_expense", "money", _always_enterprise),
    Step("profit", "money", _always_enterprise, allow_negative=True),
    # the 13 indicators (3, 7 and 11 come from the figures above)
    Step("main_business_share_pct", "percent", _always_enterprise),
    Step(
        "main_revenue_growth_pct", "percent", _always_enterprise, percent_low=Decimal(-100), percent_high=None
    ),
    Step("product_field", "choice", _always_enterprise),
    Step("digital_level", "choice", _always_enterprise),
    Step("quality", "multi", _always_enterprise),
    Step("debt_ratio_pct", "percent", _always_enterprise, percent_high=None),
    Step("distinctive", "multi", _always_enterprise),
    Step("talent", "choice", _always_enterprise),
    Step("ip", "choice", _always_enterprise),
    Step("rd_staff_pct", "percent", _always_enterprise),
    Step("rd_institution", "choice", _always_enterprise),
    # direct-pass routes, only when the score is below the pass mark
    Step("sci_award", "choice", _below_pass_mark),
    Step("rd_expense_avg_2y", "money", _below_pass_mark),
    Step("equity_financing_2y", "money", _below_pass_mark),
    Step("maker_top500", "yesno", _below_pass_mark),
    # subsidy questions, only where the answer can change the hints
    Step("listing_plan", "yesno", _changes_a_subsidy("listing_plan")),
    Step("has_bank_loans", "yesno", _changes_a_subsidy("has_bank_loans")),
    Step("provincial_tech_upgrade_funded", "yesno", _changes_a_subsidy("provincial_tech_upgrade_funded")),
    Step("relocating_to_guangzhou", "yesno", _changes_a_subsidy("relocating_to_guangzhou")),
    Step("annual_tax", "money", _changes_a_subsidy("annual_tax")),
)

STEP_BY_FIELD: dict[str, Step] = {}
for _s in STEPS:
    STEP_BY_FIELD.setdefault(_s.field, _s)

CONFIRM = "confirm"
CONFIRM_PREFIX = "confirm_"
VERIFY_PREFIX = "verify_"  # a figure asked back before it is taken: "verify_revenue"
# Pairs checked after an answer: (field, must not exceed). The chat asks back; a sheet or a
# JSON profile, which cannot be asked, is refused (bot/batch).
PLAUSIBILITY = (("rd_expense", "revenue"), ("profit", "revenue"))


def exceeding(answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The pairs of :data:`PLAUSIBILITY` that `answers` (a profile's values) break: the
    first figure above the second, both given."""
    broken = []
    for a, b in PLAUSIBILITY:
        va, vb = answers.get(a), answers.get(b)
        if isinstance(va, Decimal | int) and isinstance(vb, Decimal | int) and va > vb:
            broken.append((a, b))
    return broken


def profile_of(session: Session, rules: Rules) -> Profile:
    """The session's answers as a Profile; answers that no longer validate are dropped."""
    data = session.profile_data()
    try:
        return parse_profile(data, rules.contacts.districts)
    except ProfileError as exc:
        bad = {f for f, _ in exc.errors}
        return parse_profile({k: v for k, v in data.items() if k not in bad}, rules.contacts.districts)


def context(session: Session, rules: Rules, today: date) -> Context:
    return Context(session, rules, today, {})


def relevant(ctx: Context) -> list[Step]:
    """The questions that apply as things stand, settled or not, in flow order (a field
    appears once, at its first relevant place)."""
    out: list[Step] = []
    seen: set[str] = set()
    for step in STEPS:
        if step.field not in seen and step.when(ctx):
            out.append(step)
            seen.add(step.field)
    return out


def remaining(ctx: Context) -> list[Step]:
    """The relevant questions not yet settled, in order (a field appears once)."""
    return [step for step in relevant(ctx) if not ctx.session.settled(step.field)]


def next_step(ctx: Context) -> Step | None:
    for step in STEPS:
        if not ctx.session.settled(step.field) and step.when(ctx):
            return step
    return None


def progress(ctx: Context, current: str) -> tuple[int, int]:
    """(number of this question, number of questions in all) as things stand: its place
    among the questions that apply, in flow order, whatever order they were answered in."""
    fields = [step.field for step in relevant(ctx)]
    if current not in fields:
        return len(fields) + 1, len(fields) + 1
    return fields.index(current) + 1, len(fields)


def summary_fields(ctx: Context) -> list[str]:
    """The settled questions that apply, in flow order: the lines of the summary."""
    return [step.field for step in relevant(ctx) if ctx.session.settled(step.field)]


def prune(session: Session, rules: Rules, today: date) -> tuple[list[str], Context]:
    """Forget the answers to questions that no longer apply (a direct-pass answer once the
    score reaches the pass mark, the enterprise answers of a service institution), until
    none is left; return the fields forgotten, in flow order, and a context of what is left."""
    dropped: list[str] = []
    ctx = context(session, rules, today)
    for _ in range(len(STEPS)):
        keep = {step.field for step in relevant(ctx)}
        settled = [*session.history, *session.answers, *session.skipped]
        gone = [f for f in dict.fromkeys(settled) if f not in keep]
        if not gone:
            break
        for field in gone:
            session.forget(field)
        dropped += gone
        ctx = context(session, rules, today)
    order = {step.field: i for i, step in enumerate(STEPS)}
    return sorted(dict.fromkeys(dropped), key=lambda f: order.get(f, len(order))), ctx


# ---------------------------------------------------------------- options


def options_for(field: str, rules: Rules, lang: str) -> list[tuple[Any, str, tuple[str, ...]]]:
    """(value, label in `lang`, every name a person may type) for a choice field."""

    def named(value: Any, zh: str, en: str, *aliases: str) -> tuple[Any, str, tuple[str, ...]]:
        return value, (en if lang == "en" else zh), (zh, en, *aliases)

    if field == "org_type":
        return [named(o.value, o.label.zh, o.label.en, *o.aliases) for o in rules.choices.org_type.options]
    if field == "sci_award":
        return [named(o.value, o.label.zh, o.label.en, *o.aliases) for o in rules.choices.sci_award.options]
    if field == "certification":
        aliases = {
            "none": ("无", "没有", "都没有", "暂无", "none"),
            "innovative": ("创新型", "创新型企业"),
            "municipal": ("市级",),
            "provincial": ("省级",),
            "national_little_giant": ("小巨人", "国家级", "国家级小巨人"),
            "key_little_giant": ("重点小巨人", "国家级重点"),
        }
        return [
            named(lv.id, lv.label.zh, lv.label.en, *aliases.get(lv.id, ()))
            for lv in rules.certifications.level
        ]
    if field == "district":
        return [named(d.id, d.label.zh, d.label.en, *d.aliases) for d in rules.contacts.districts.district]
    for ind in rules.indicators.indicator:
        for part in ind.part:
            if isinstance(part, ChoicePart | MultiPart) and part.field == field:
                return [named(o.value, o.label.zh, o.label.en, *o.aliases) for o in part.options]
    if STEP_BY_FIELD.get(field, Step(field, "money")).kind == "yesno":
        return [named(o.value, o.label.zh, o.label.en) for o in rules.choices.yes_no.options]
    raise KeyError(field)


def all_means(field: str, rules: Rules) -> Any:
    """The option "都有 / all of them" names in a one-choice question that asks for the
    highest level held: the option worth the most points; None for any other question."""
    for ind in rules.indicators.indicator:
        for part in ind.part:
            if isinstance(part, ChoicePart) and part.field == field:
                best = max(part.options, key=lambda o: o.points)
                return best.value if best.points > 0 else None
    return None


def parser_options(field: str, rules: Rules) -> list[Option[Any]]:
    if STEP_BY_FIELD[field].kind == "yesno":
        yes, no = yes_no_options()
        return [yes, no]
    return [Option(value, names) for value, _, names in options_for(field, rules, "zh")]
