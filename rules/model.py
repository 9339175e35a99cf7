"""The shape of the rules data under ``rules/data``, checked on load.

Every model forbids unknown keys, so a typo in a data file is an error, not a silent
default. Cross-item checks (bands in order, group maxima adding up, known references)
live in validators here; cross-file checks live in :mod:`rules.loader`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Lang = Literal["zh", "en"]
Unit = Literal["yuan", "pct", "years"]
ChoiceValue = str | int | bool

# Yes-no answers that subsidy clauses may require (docs/interfaces.md#profile).
FlagField = Literal[
    "listing_plan",
    "has_bank_loans",
    "provincial_tech_upgrade_funded",
    "relocating_to_guangzhou",
    "operates_park",
    "maker_top500",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Label(Strict):
    """A text in both languages."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


class Source(Strict):
    """Where an item comes from: a seed file and the clause in it."""

    file: str
    clause: str = Field(min_length=1)


# ---------------------------------------------------------------- meta


class SourceDocument(Strict):
    file: str
    title: Label
    published: date | None = None


class Meta(Strict):
    version: str = Field(min_length=1)
    title: Label
    sources: list[SourceDocument]

    def source_title(self, file: str) -> Label | None:
        return next((s.title for s in self.sources if s.file == file), None)


# ---------------------------------------------------------------- certifications


class CertificationLevel(Strict):
    id: str
    rank: int
    label: Label


class Certifications(Strict):
    source: Source
    level: list[CertificationLevel]

    @model_validator(mode="after")
    def _ladder(self) -> Certifications:
        _unique([lv.id for lv in self.level], "level")
        ranks = [lv.rank for lv in self.level]
        if ranks != sorted(set(ranks)):
            raise ValueError("levels must be listed low to high with distinct ranks")
        return self

    def rank(self, level_id: str | None) -> int:
        """The rank of a level; an unanswered level ranks as the lowest."""
        for lv in self.level:
            if lv.id == level_id:
                return lv.rank
        return self.level[0].rank

    def get(self, level_id: str) -> CertificationLevel:
        for lv in self.level:
            if lv.id == level_id:
                return lv
        raise KeyError(level_id)

    @property
    def ids(self) -> list[str]:
        return [lv.id for lv in self.level]


# ---------------------------------------------------------------- conditions


class ThresholdCondition(Strict):
    label: Label
    source: Source


class InnovativeCondition(ThresholdCondition):
    min_certification: str


class NicheCondition(ThresholdCondition):
    min_years: Decimal = Field(ge=0)


class RdCondition(ThresholdCondition):
    min_amount: Decimal = Field(ge=0)
    min_ratio_pct: Decimal = Field(ge=0, le=100)


class RevenueCondition(ThresholdCondition):
    min_revenue: Decimal = Field(ge=0)
    alt_min_equity_financing: Decimal = Field(ge=0)


class ScoreCondition(ThresholdCondition):
    min_score: int = Field(ge=0, le=100)


class DirectRoute(Strict):
    id: Literal["sci_award", "rd_avg_2y", "equity_2y", "maker_top500"]
    field: str
    passing_values: list[ChoiceValue] | None = None
    min_amount: Decimal | None = Field(default=None, ge=0)
    label: Label
    source: Source

    @model_validator(mode="after")
    def _one_test(self) -> DirectRoute:
        if (self.passing_values is None) == (self.min_amount is None):
            raise ValueError("give exactly one of passing_values and min_amount")
        return self


class Conditions(Strict):
    recognition_level: str
    innovative_sme: InnovativeCondition
    niche_years: NicheCondition
    rd_expense: RdCondition
    revenue: RevenueCondition
    score_or_direct: ScoreCondition
    direct_route: list[DirectRoute]

    @model_validator(mode="after")
    def _routes(self) -> Conditions:
        _unique([r.id for r in self.direct_route], "direct_route")
        return self


# ---------------------------------------------------------------- indicators


class Band(Strict):
    option: str
    min: Decimal | None = None
    max: Decimal | None = None
    points: int = Field(ge=0)
    label: Label


def _check_bands(bands: list[Band], bound: Literal["min", "max"]) -> None:
    """Bands go from best to worst; only the last may omit its bound."""
    if not bands:
        raise ValueError("bands must not be empty")
    other = "max" if bound == "min" else "min"
    for i, band in enumerate(bands):
        if getattr(band, other) is not None:
            raise ValueError(f"band {band.option}: `{other}` is not allowed here, use `{bound}`")
        if getattr(band, bound) is None and i != len(bands) - 1:
            raise ValueError(f"band {band.option}: only the last band may omit `{bound}`")
    bounds = [getattr(b, bound) for b in bands if getattr(b, bound) is not None]
    in_order = all((a > b) if bound == "min" else (a < b) for a, b in pairwise(bounds))
    if not in_order:
        word = "descending" if bound == "min" else "ascending"
        raise ValueError(f"bands out of order: `{bound}` must be strictly {word}")
    points = [b.points for b in bands]
    if points != sorted(points, reverse=True) or len(set(points)) != len(points):
        raise ValueError("bands out of order: points must fall strictly from best to worst")
    _unique([b.option for b in bands], "band option")


class BandHighPart(Strict):
    """Higher is better; a band includes its lower bound."""

    kind: Literal["band_high"]
    field: str
    unit: Unit
    bands: list[Band]

    @model_validator(mode="after")
    def _order(self) -> BandHighPart:
        _check_bands(self.bands, "min")
        return self


class BandLowPart(Strict):
    """Lower is better; a band includes its upper bound."""

    kind: Literal["band_low"]
    field: str
    unit: Unit
    bands: list[Band]

    @model_validator(mode="after")
    def _order(self) -> BandLowPart:
        _check_bands(self.bands, "max")
        return self


class RatioHighPart(Strict):
    """numerator / denominator in percent, higher is better, on exact yuan values."""

    kind: Literal["ratio_high"]
    numerator: str
    denominator: str
    on_zero_denominator: Literal["zero", "unbounded"]
    unit: Literal["pct"]
    bands: list[Band]

    @model_validator(mode="after")
    def _order(self) -> RatioHighPart:
        _check_bands(self.bands, "min")
        return self


class StepPart(Strict):
    """points_per_step for each full `step` of the value."""

    kind: Literal["step"]
    field: str
    unit: Unit
    step: Decimal = Field(gt=0)
    points_per_step: int = Field(gt=0)
    label: Label


class ChoiceOption(Strict):
    value: ChoiceValue
    points: int = Field(default=0, ge=0)
    label: Label
    aliases: list[str] = []  # other words people type for this option


class ChoicePart(Strict):
    kind: Literal["choice"]
    field: str
    options: list[ChoiceOption]

    @model_validator(mode="after")
    def _unique_values(self) -> ChoicePart:
        _unique([o.value for o in self.options], "option")
        return self


class MultiPart(Strict):
    """points_each for every option held (the indicator's max caps the sum)."""

    kind: Literal["multi"]
    field: str
    points_each: int = Field(gt=0)
    options: list[ChoiceOption]

    @model_validator(mode="after")
    def _unique_values(self) -> MultiPart:
        _unique([o.value for o in self.options], "option")
        return self


Part = Annotated[
    BandHighPart | BandLowPart | RatioHighPart | StepPart | ChoicePart | MultiPart,
    Field(discriminator="kind"),
]


class Group(Strict):
    id: Literal["specialization", "refinement", "distinctiveness", "innovation"]
    max: int = Field(gt=0)
    label: Label
    source: Source


class Indicator(Strict):
    number: int = Field(ge=1)
    group: str
    max: int = Field(gt=0)
    combine: Literal["sum", "max"] = "sum"
    label: Label
    source: Source
    part: list[Part] = Field(min_length=1)

    @property
    def fields(self) -> list[str]:
        """The profile fields this indicator reads, in order, without repeats."""
        out: list[str] = []
        for p in self.part:
            names = [p.numerator, p.denominator] if isinstance(p, RatioHighPart) else [p.field]
            for name in names:
                if name not in out:
                    out.append(name)
        return out


class Indicators(Strict):
    group: list[Group]
    indicator: list[Indicator]

    @model_validator(mode="after")
    def _add_up(self) -> Indicators:
        _unique([g.id for g in self.group], "group")
        numbers = [i.number for i in self.indicator]
        _unique(numbers, "indicator")
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError("indicators must be numbered 1, 2, 3… in order")
        group_ids = {g.id for g in self.group}
        for ind in self.indicator:
            if ind.group not in group_ids:
                raise ValueError(f"indicator {ind.number}: unknown group {ind.group!r}")
        for g in self.group:
            total = sum(i.max for i in self.indicator if i.group == g.id)
            if total != g.max:
                raise ValueError(f"group {g.id}: its indicators' maxima add up to {total}, not {g.max}")
        grand = sum(g.max for g in self.group)
        if grand != 100:
            raise ValueError(f"the groups' maxima add up to {grand}, not 100")
        return self


# ---------------------------------------------------------------- tiers


class EnterpriseRequirements(Strict):
    min_revenue: Decimal = Field(ge=0)
    min_profit: Decimal | None = None
    min_certification: str | None = None
    preferred_certification: str | None = None


class InstitutionRequirements(Strict):
    min_registered_capital: Decimal = Field(ge=0)


class Qualitative(Strict):
    """Requirements the secretariat verifies, by organisation type."""

    enterprise: list[Label]
    service_institution: list[Label]


class Tier(Strict):
    id: Literal["member", "director", "vice_president"]
    rank: int = Field(ge=1)
    label: Label
    source: Source
    enterprise: EnterpriseRequirements
    service_institution: InstitutionRequirements
    qualitative: Qualitative


class Tiers(Strict):
    tier: list[Tier]

    @model_validator(mode="after")
    def _ladder(self) -> Tiers:
        _unique([t.id for t in self.tier], "tier")
        ranks = [t.rank for t in self.tier]
        if ranks != list(range(1, len(ranks) + 1)):
            raise ValueError("tiers must be listed low to high with ranks 1, 2, 3…")
        for low, high in zip(self.tier, self.tier[1:], strict=False):
            if high.enterprise.min_revenue < low.enterprise.min_revenue or (
                high.service_institution.min_registered_capital
                < low.service_institution.min_registered_capital
            ):
                raise ValueError(f"tier {high.id}: asks less than the tier below it")
        return self


# ---------------------------------------------------------------- subsidies


class Amount(Strict):
    """What an item gives. `share_cap`: that share of the costs, at most `cap`;
    `share_up_to_cap`: at most that share (不超过30%), at most `cap`. `unstated_award`: a
    one-off award whose amount the source does not state (it must not be shown as non-cash
    support, nor given a figure)."""

    kind: Literal["fixed", "cap", "share_cap", "share_up_to_cap", "in_kind", "unstated_award"]
    amount: Decimal | None = Field(default=None, gt=0)
    cap: Decimal | None = Field(default=None, gt=0)
    share_pct: Decimal | None = Field(default=None, gt=0, le=100)

    @model_validator(mode="after")
    def _fits_kind(self) -> Amount:
        needs = {
            "fixed": {"amount"},
            "cap": {"cap"},
            "share_cap": {"share_pct", "cap"},
            "share_up_to_cap": {"share_pct", "cap"},
            "in_kind": set(),
            "unstated_award": set(),
        }[self.kind]
        given = {k for k in ("amount", "cap", "share_pct") if getattr(self, k) is not None}
        if given != needs:
            want = ", ".join(sorted(needs)) or "nothing"
            raise ValueError(f"amount of kind {self.kind!r} takes {want}")
        return self


class Clause(Strict):
    org_type: Literal["enterprise", "service_institution"] = "enterprise"
    min_certification: str | None = None
    certifications: list[str] | None = None
    flags: list[FlagField] = []
    min_annual_tax: Decimal | None = Field(default=None, ge=0)

    @property
    def fields(self) -> tuple[str, ...]:
        """The profile answers besides the certification that this clause reads: the
        questions whose answers can change whether it holds."""
        return (*self.flags, *(("annual_tax",) if self.min_annual_tax is not None else ()))

    def level_holds(self, org_type: str, level: str | None, certifications: Certifications) -> bool:
        """Whether an organisation of ``org_type`` at certification ``level`` meets this
        clause's organisation and level conditions (the ones that read no other answer)."""
        if self.org_type != org_type:
            return False
        if self.min_certification is not None and certifications.rank(level) < certifications.rank(
            self.min_certification
        ):
            return False
        return self.certifications is None or level in self.certifications


class Subsidy(Strict):
    id: str
    title: Label
    short: Label | None = None  # the title in a few words, for a one-line list (/subsidies)
    who: Label
    amount: Amount
    when: list[Clause] = Field(min_length=1)
    valid_from: date | None = None
    valid_to: date | None = None
    source: Source

    @model_validator(mode="after")
    def _dates(self) -> Subsidy:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class Subsidies(Strict):
    subsidy: list[Subsidy]

    @model_validator(mode="after")
    def _ids(self) -> Subsidies:
        _unique([s.id for s in self.subsidy], "subsidy")
        return self


# ---------------------------------------------------------------- contacts


class Department(Strict):
    name: Label
    person: Label
    phone: str


class Association(Strict):
    name: Label
    address: Label
    email: str
    source: Source
    department: list[Department]


class Office(Strict):
    name: Label
    address: Label
    phone: str
    source: Source


class District(Strict):
    id: str
    label: Label
    aliases: list[str]
    authority: Label
    phones: list[str]
    address: Label


class Districts(Strict):
    as_of: date
    source: Source
    district: list[District]

    @model_validator(mode="after")
    def _ids(self) -> Districts:
        _unique([d.id for d in self.district], "district")
        _unique([a.lower() for d in self.district for a in d.aliases], "district alias")
        return self

    def find(self, name: str) -> District | None:
        """The district called `name` (its id, a label or an alias), else None."""
        key = name.strip().lower()
        for d in self.district:
            names = {d.id, d.label.zh, d.label.en.lower(), *(a.lower() for a in d.aliases)}
            if key in names:
                return d
        return None


class Contacts(Strict):
    association: Association
    listing_alliance: Office
    districts: Districts


# ---------------------------------------------------------------- broadcast topics


class Topic(Strict):
    id: str = Field(pattern=r"^[a-z][a-z_]*$")


class Topics(Strict):
    """The topics of broadcasts, in the order staff are offered them."""

    topic: list[Topic] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids(self) -> Topics:
        _unique([t.id for t in self.topic], "topic")
        return self

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.topic)


# ---------------------------------------------------------------- profile fields as columns

FieldKind = Literal["money", "percent", "years", "choice", "multi", "yesno"]


class FieldInfo(Strict):
    """One profile field as a spreadsheet names it: labels, other names, its source."""

    id: str
    kind: FieldKind
    label: Label
    aliases: list[str] = []
    source: Source


class Fields(Strict):
    field: list[FieldInfo]

    @model_validator(mode="after")
    def _ids(self) -> Fields:
        _unique([f.id for f in self.field], "field")
        return self

    def get(self, field_id: str) -> FieldInfo:
        for f in self.field:
            if f.id == field_id:
                return f
        raise KeyError(field_id)


# ---------------------------------------------------------------- other choices


class OptionList(Strict):
    source: Source | None = None
    options: list[ChoiceOption]


class Choices(Strict):
    org_type: OptionList
    sci_award: OptionList
    yes_no: OptionList


# ---------------------------------------------------------------- plausible figures


class PlausibleRange(Strict):
    """The values a person plausibly gives for one figure question, in the field's unit.

    A figure outside [`min`, `max`] is asked back before it is taken (0 is always
    accepted: none at all); it is never used to score."""

    field: str
    unit: Unit
    min: Decimal
    max: Decimal
    # money only: a bare number in a sheet column that names no unit is read as yuan; below
    # this many yuan it is more likely 万元 (as the chat reads a bare number) and is refused
    bare_yuan_min: Decimal | None = None

    @model_validator(mode="after")
    def _ordered(self) -> PlausibleRange:
        if not self.min < self.max:
            raise ValueError(f"{self.field}: min must be below max")
        if self.bare_yuan_min is not None and (
            self.unit != "yuan" or not self.min < self.bare_yuan_min < self.max
        ):
            raise ValueError(f"{self.field}: bare_yuan_min is for an amount in yuan, between min and max")
        return self

    def contains(self, value: Decimal) -> bool:
        return value.is_zero() or self.min <= value <= self.max


class Plausibility(Strict):
    figure: list[PlausibleRange] = Field(min_length=1)

    @model_validator(mode="after")
    def _fields(self) -> Plausibility:
        _unique([f.field for f in self.figure], "figure")
        return self

    def get(self, field: str) -> PlausibleRange | None:
        return next((f for f in self.figure if f.field == field), None)


def _unique(values: Sequence[object], what: str) -> None:
    seen: set[object] = set()
    for v in values:
        # bool and int compare equal in Python; keep them apart
        key = (type(v).__name__, v)
        if key in seen:
            raise ValueError(f"duplicate {what} {v!r}")
        seen.add(key)
