"""The enterprise profile: the answers the engine scores (docs/interfaces.md#profile).

Every field is optional; a missing field is "unanswered". Money is in yuan and
percentages are numbers of percent, both kept as :class:`~decimal.Decimal` so that band
edges are compared exactly.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from rules.model import Districts

OrgType = Literal["enterprise", "service_institution"]
Certification = Literal[
    "none", "innovative", "municipal", "provincial", "national_little_giant", "key_little_giant"
]
SciAward = Literal["none", "provincial_top3", "national_top5"]
Talent = Literal["none", "national", "provincial", "municipal", "recommended"]
RdInstitution = Literal["national", "provincial", "municipal", "below_municipal", "none"]
QualityItem = Literal["provincial_quality_award", "quality_certification", "own_brand", "standards"]
Letter = Literal["A", "B", "C", "D", "E", "F"]


# The figures a profile takes: what a double holds (beyond ±1.8e308 a JSON number overflows
# to infinity in most readers), with at most MAX_DIGITS significant digits and MAX_PLACES
# decimal places. Larger ones are refused before any arithmetic: the engine compares exact
# fractions, and a fraction of 1e999999999 takes minutes to form.
FLOAT_MAX = Decimal("1.7976931348623157e308")
MAX_DIGITS = 100
MAX_PLACES = 100
_SHOWN_CHARS = 24


def figure_problem(value: Decimal | int) -> str | None:
    """Why `value` cannot be a figure of a profile, or None when it can (see FLOAT_MAX)."""
    if isinstance(value, int):
        if value.bit_length() > 1024:  # beyond any double: no need to look at its digits
            return "must be a finite number (it is beyond ±1.8e308)"
        value = Decimal(value)
    if not value.is_finite():
        return "must be a finite number"
    if value.is_zero():
        return None
    if value.adjusted() > 308 or abs(value) > FLOAT_MAX:  # adjusted() first: abs(1e999999999) traps
        return "must be a finite number (it is beyond ±1.8e308)"
    _, digits, exponent = value.as_tuple()
    if len(digits) > MAX_DIGITS:
        return f"has {len(digits):,} digits; a figure has at most {MAX_DIGITS}"
    if isinstance(exponent, int) and exponent < -MAX_PLACES:
        return f"has more than {MAX_PLACES} decimal places"
    return None


class RefusedNumber:
    """A JSON number refused while the text is read (:func:`json_number`): it never becomes
    a Decimal or an int, and the profile that holds it names it in its error."""

    __slots__ = ("reason", "text")

    def __init__(self, text: str, reason: str) -> None:
        self.text, self.reason = text, reason

    def __repr__(self) -> str:
        if len(self.text) <= _SHOWN_CHARS:
            return self.text
        return f"{self.text[:12]}…({len(self.text):,} characters)"

    __str__ = __repr__


def json_number(text: str) -> Decimal | int | RefusedNumber:
    """One JSON number read exactly (``parse_float`` and ``parse_int`` of :mod:`json`): an
    int, a Decimal, or a :class:`RefusedNumber` for a number no profile takes — checked on
    its text first, so 1e999999999 or 5,000 digits cost no more than their reading."""
    mantissa, _, exponent = text.lower().partition("e")
    digits = mantissa.lstrip("-").replace(".", "").lstrip("0")
    if len(digits) > MAX_DIGITS:
        return RefusedNumber(text, f"has {len(digits):,} digits; a figure has at most {MAX_DIGITS}")
    if len(exponent.lstrip("+-")) > 6:  # |exponent| ≥ 10**6: far outside any double
        if exponent.startswith("-") or not digits:
            return RefusedNumber(text, f"has more than {MAX_PLACES} decimal places") if digits else Decimal(0)
        return RefusedNumber(text, "must be a finite number (it is beyond ±1.8e308)")
    number: Decimal | int = Decimal(text) if exponent or "." in mantissa else int(text)
    problem = figure_problem(number)
    return number if problem is None else RefusedNumber(text, problem)


def check_size(value: Decimal) -> Decimal:
    """``value`` when a profile can hold it as a figure (:func:`figure_problem`); ValueError
    saying why otherwise. Reads the exponent and the digits only, so it is fast whatever
    ``value`` is."""
    problem = figure_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _number(value: Any) -> Any:
    """Accept JSON numbers only (not booleans, not strings); floats via their shortest text;
    a figure beyond what a double holds, or with too many digits, is refused."""
    if isinstance(value, RefusedNumber):
        raise ValueError(f"{value!r} {value.reason}")

    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a number")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("must be a finite number")
        value = Decimal(repr(value))
    problem = figure_problem(value)
    if problem is not None:
        raise ValueError(problem)
    if isinstance(value, Decimal) and value.is_zero():
        return Decimal(0)  # 0E-999999999 is 0
    return value


def _boolean(value: Any) -> Any:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


Num = Annotated[Decimal, BeforeValidator(_number)]
Amount = Annotated[Decimal, BeforeValidator(_number), Field(ge=0)]
Share = Annotated[Decimal, BeforeValidator(_number), Field(ge=0, le=100)]
Flag = Annotated[bool, BeforeValidator(_boolean)]

MONEY_FIELDS = (
    "revenue",
    "profit",
    "rd_expense",
    "rd_expense_avg_2y",
    "equity_financing_2y",
    "registered_capital",
    "annual_tax",
)
PERCENT_FIELDS = (
    "main_business_share_pct",
    "main_revenue_growth_pct",
    "debt_ratio_pct",
    "rd_staff_pct",
)
LIST_FIELDS = ("quality", "distinctive")
BOOL_FIELDS = (
    "maker_top500",
    "operates_park",
    "listing_plan",
    "has_bank_loans",
    "provincial_tech_upgrade_funded",
    "relocating_to_guangzhou",
)


class Profile(BaseModel):
    """One enterprise's (or service institution's) answers. Unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    org_type: OrgType | None = None
    district: str | None = None
    certification: Certification | None = None
    niche_years: Annotated[Decimal, BeforeValidator(_number), Field(ge=0, le=200)] | None = None
    revenue: Amount | None = None
    # A loss is a negative profit: the margin then scores 0, and no tier is met.
    profit: Num | None = None
    rd_expense: Amount | None = None
    rd_expense_avg_2y: Amount | None = None
    equity_financing_2y: Amount | None = None
    sci_award: SciAward | None = None
    maker_top500: Flag | None = None
    main_business_share_pct: Share | None = None
    main_revenue_growth_pct: Annotated[Decimal, BeforeValidator(_number), Field(ge=-100)] | None = None
    product_field: Literal["A", "B", "C"] | None = None
    digital_level: Annotated[int, Field(strict=True, ge=1, le=3)] | None = None
    quality: list[QualityItem] | None = None
    # A ratio of liabilities to assets, not a share: above 100 means insolvent, scoring 0.
    debt_ratio_pct: Amount | None = None
    distinctive: list[Letter] | None = None
    talent: Talent | None = None
    ip: Literal["A", "B", "C", "D", "E"] | None = None
    rd_staff_pct: Share | None = None
    rd_institution: RdInstitution | None = None
    registered_capital: Amount | None = None
    operates_park: Flag | None = None
    listing_plan: Flag | None = None
    has_bank_loans: Flag | None = None
    provincial_tech_upgrade_funded: Flag | None = None
    relocating_to_guangzhou: Flag | None = None
    annual_tax: Amount | None = None

    @field_validator("district")
    @classmethod
    def _known_district(cls, value: str | None, info: ValidationInfo) -> str | None:
        districts = info.context.get("districts") if isinstance(info.context, dict) else None
        if value is None or districts is None:
            return value
        assert isinstance(districts, Districts)
        found = districts.find(value)
        if found is None:
            names = "、".join(d.id for d in districts.district)
            raise ValueError(f"unknown district {value!r}; expected one of {names}")
        return found.id

    @field_validator("quality", "distinctive")
    @classmethod
    def _no_repeats(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else list(dict.fromkeys(value))

    @property
    def is_institution(self) -> bool:
        return self.org_type == "service_institution"

    def answered(self, field: str) -> bool:
        return getattr(self, field) is not None


FIELDS: tuple[str, ...] = tuple(Profile.model_fields)


class ProfileError(ValueError):
    """A profile that cannot be scored; `errors` lists (field, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{f}: {m}" for f, m in errors))


def parse_profile(data: Any, districts: Districts | None = None) -> Profile:
    """Validate one profile given as a JSON-like mapping.

    Raises :class:`ProfileError` naming every bad field (unknown field, wrong type,
    negative amount, share above 100, unknown district or enum value).
    """
    if not isinstance(data, dict):
        raise ProfileError([("(profile)", "must be a JSON object")])
    try:
        return Profile.model_validate(data, context={"districts": districts})
    except ValidationError as exc:
        raise ProfileError(_describe(exc)) from None


def _describe(exc: ValidationError) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"]]
        field = loc[0] if loc else "(profile)"
        kind = err["type"]
        if kind == "extra_forbidden":
            msg = "unknown field"
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            msg = f"unknown value {err['input']!r}; expected {expected}"
        elif kind in ("greater_than_equal", "greater_than"):
            msg = f"must be ≥ {err['ctx'].get('ge', err['ctx'].get('gt'))}, got {err['input']}"
        elif kind in ("less_than_equal", "less_than"):
            msg = f"must be ≤ {err['ctx'].get('le', err['ctx'].get('lt'))}, got {err['input']}"
        else:
            msg = str(err["msg"]).removeprefix("Value error, ")
        if len(loc) > 1 and isinstance(err["loc"][1], int):
            msg = f"item {err['loc'][1] + 1}: {msg}"
        out.append((field, msg))
    return out


def cell_to_value(field: str, cell: str) -> Any:
    """Turn one spreadsheet cell into the JSON value of `field` (empty → unanswered).

    Lists are separated by ``;``; yes-no cells accept true/false, yes/no, 1/0, 是/否.
    Raises ValueError with a message for the person who filled the sheet.
    """
    text = cell.strip()
    if text == "":
        return None
    if field in LIST_FIELDS:
        return [item.strip() for item in text.split(";") if item.strip()]
    if field in BOOL_FIELDS:
        low = text.lower()
        if low in ("true", "yes", "y", "1", "是"):
            return True
        if low in ("false", "no", "n", "0", "否"):
            return False
        raise ValueError("must be true or false")
    if field in MONEY_FIELDS or field in PERCENT_FIELDS or field == "niche_years":
        if len(text) > 100:  # no figure is that long; Decimal() of 5,000 digits is slow to check
            raise ValueError("must be a number of at most 100 characters")
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise ValueError("must be a number") from None
        return check_size(number)
    if field == "digital_level":
        if text in ("1", "2", "3"):
            return int(text)
        raise ValueError("must be 1, 2 or 3")
    return text
