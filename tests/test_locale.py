"""The message catalogs are complete: the same keys and placeholders in every language, no
empty message, and every key the code asks for exists.

Keys in the code are found by reading the source: literal keys passed to a catalog lookup
(``cat.text(lang, key)``) or to any function that passes its argument on as the key
(``t``, ``_t``, ``menu``, …, found the same way). A key built with an f-string is checked
against the set of values its placeholder can take; a new kind of built key fails here
until its set is added to `templates()`. A key looked up in a module-level dict literal
(``STATES[state]``) is checked for every value of the dict; other keys read from data
(``action.key``) are not checked here.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import get_args

import pytest
from babel.messages.pofile import read_po

from dialogs.engine import MENU_COMMANDS
from dialogs.flow import PLAUSIBILITY, STEPS, Kind
from dialogs.i18n import LANGS
from dialogs.leads import STEPS as LEAD_STEPS
from dialogs.leads import LeadKind
from dialogs.session import Session
from rules import assess, default_rules
from rules.model import RatioHighPart
from rules.profile import FIELDS, parse_profile

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
SOURCES = ("dialogs", "bot")


@cache
def catalog(lang: str) -> dict[str, str]:
    with (LOCALE / f"{lang}.po").open("rb") as fh:
        return {str(m.id): str(m.string or "") for m in read_po(fh) if m.id}


def placeholders(text: str) -> set[str]:
    """The {names} of a message; raises ValueError on a stray brace."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


# ---------------------------------------------------------------- the catalogs agree


@pytest.mark.parametrize("lang", LANGS)
def test_each_catalog_defines_a_key_once(lang: str) -> None:
    ids = re.findall(r'^msgid "(.+)"$', (LOCALE / f"{lang}.po").read_text(encoding="utf-8"), re.MULTILINE)
    assert [k for k in set(ids) if ids.count(k) > 1] == []


def test_every_language_has_the_same_keys() -> None:
    zh, en = set(catalog("zh")), set(catalog("en"))
    assert sorted(zh - en) == [], "in zh.po, missing from en.po"
    assert sorted(en - zh) == [], "in en.po, missing from zh.po"


@pytest.mark.parametrize("lang", LANGS)
def test_no_message_is_empty(lang: str) -> None:
    assert sorted(k for k, v in catalog(lang).items() if not v.strip()) == []


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_is_a_valid_template(lang: str) -> None:
    bad = []
    for key, text in catalog(lang).items():
        try:
            placeholders(text)
        except ValueError as exc:
            bad.append(f"{key}: {exc}")
    assert bad == []


def test_every_message_has_the_same_placeholders_in_every_language() -> None:
    zh, en = catalog("zh"), catalog("en")
    differ = {
        key: (sorted(placeholders(zh[key])), sorted(placeholders(en[key])))
        for key in zh.keys() & en.keys()
        if placeholders(zh[key]) != placeholders(en[key])
    }
    assert differ == {}


# ---------------------------------------------------------------- keys used by the code


@dataclass(frozen=True)
class Use:
    where: str  # file:line
    key: str  # a literal key, or a template with {} for each part built at run time


@dataclass(frozen=True)
class Sink:
    """A function that passes one of its arguments on as a message key."""

    index: int  # position among the arguments a caller writes (self excluded)
    name: str  # the parameter's name, for keyword calls


CATALOG_LOOKUP = "text"  # Catalogs.text(lang, key, **values), called on a `cat`


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute):
        if func.attr == CATALOG_LOOKUP and not ast.unparse(func.value).endswith("cat"):
            return None  # Result.text and friends are not catalog lookups
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


Function = ast.FunctionDef | ast.AsyncFunctionDef


def _params(fn: Function) -> list[ast.arg]:
    params = [*fn.args.posonlyargs, *fn.args.args]
    return params[1:] if params and params[0].arg in ("self", "cls") else params


def _key_arg(call: ast.Call, sink: Sink) -> ast.expr | None:
    if len(call.args) > sink.index and not any(isinstance(a, ast.Starred) for a in call.args):
        return call.args[sink.index]
    return next((kw.value for kw in call.keywords if kw.arg == sink.name), None)


class Unresolved(Exception):
    pass


def _tables(tree: ast.Module) -> dict[str, ast.Dict]:
    """Module-level dict literals by name (STATES = {"done": "broadcast.state.done", …})."""
    return {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _resolve(node: ast.expr, fn: Function | None, tables: Mapping[str, ast.Dict]) -> set[str]:
    """The keys an expression can be: literals, both arms of `a if c else b`, a local
    variable's assigned values, any value of a module-level dict it looks up; a part of an
    f-string that cannot be resolved is `{}`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _resolve(node.body, fn, tables) | _resolve(node.orelse, fn, tables)
    if isinstance(node, ast.JoinedStr):
        keys = {""}
        for part in node.values:
            try:
                pieces = _resolve(part.value if isinstance(part, ast.FormattedValue) else part, fn, tables)
            except Unresolved:
                pieces = {"{}"}
            keys = {k + p for k in keys for p in pieces}
        return keys
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in tables:
        return set().union(*(_resolve(v, fn, tables) for v in tables[node.value.id].values))
    if isinstance(node, ast.Name) and fn is not None:
        values = [
            a.value
            for a in ast.walk(fn)
            if isinstance(a, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == node.id for t in a.targets)
        ]
        if values and not any(p.arg == node.id for p in _params(fn)):
            return set().union(*(_resolve(v, fn, tables) for v in values))
    raise Unresolved(ast.unparse(node))


def _functions(tree: ast.AST) -> Iterator[tuple[Function | None, ast.Call]]:
    """Every call, with the function it is written in (None at module level)."""

    def visit(node: ast.AST, fn: Function | None) -> Iterator[tuple[Function | None, ast.Call]]:
        for child in ast.iter_child_nodes(node):
            inner = child if isinstance(child, Function) else fn
            if isinstance(child, ast.Call):
                yield fn, child
            yield from visit(child, inner)

    yield from visit(tree, None)


@cache
def key_uses() -> tuple[Use, ...]:
    """Every key the code passes as a literal (or a template), with where."""
    trees = {
        str(path.relative_to(ROOT)): ast.parse(path.read_text(encoding="utf-8"))
        for folder in SOURCES
        for path in sorted((ROOT / folder).rglob("*.py"))
    }
    sinks: dict[str, Sink] = {CATALOG_LOOKUP: Sink(1, "key")}
    # a function whose parameter reaches a sink as the key is a sink too (t, _t, menu, …)
    grown = True
    while grown:
        grown = False
        for tree in trees.values():
            for fn, call in _functions(tree):
                name = _called_name(call)
                if fn is None or name not in sinks or fn.name in sinks:
                    continue
                arg = _key_arg(call, sinks[name])
                params = _params(fn)
                if isinstance(arg, ast.Name) and arg.id in [p.arg for p in params]:
                    index = [p.arg for p in params].index(arg.id)
                    sinks[fn.name] = Sink(index, arg.id)
                    grown = True
    uses: list[Use] = []
    for file, tree in trees.items():
        for fn, call in _functions(tree):
            name = _called_name(call)
            if name not in sinks:
                continue
            arg = _key_arg(call, sinks[name])
            if arg is None:
                continue
            where = f"{file}:{call.lineno}"
            try:
                uses += [Use(where, key) for key in _resolve(arg, fn, _tables(tree))]
            except Unresolved:
                continue  # not a literal: a parameter is checked at its callers, data is not ours
        for node in ast.walk(tree):
            if isinstance(node, Function) and node.name in sinks:
                # a default key: menu(s, text_key="menu.text")
                names = [p.arg for p in node.args.posonlyargs + node.args.args]
                defaults = dict(zip(reversed(names), reversed(node.args.defaults), strict=False))
                default = defaults.get(sinks[node.name].name)
                if default is not None:
                    uses += [Use(f"{file}:{node.lineno}", key) for key in _resolve(default, None, {})]
    return tuple(uses)


def answer_error_codes() -> set[str]:
    """The codes parsing.py raises: AnswerError("code") and AnswerError(f"{kind}.invalid")
    where `kind` is a parameter given as a literal by every caller."""
    tree = ast.parse((ROOT / "dialogs" / "parsing.py").read_text(encoding="utf-8"))
    codes: set[str] = set()
    for fn, call in _functions(tree):
        if _called_name(call) != "AnswerError" or not call.args:
            continue
        first = call.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            codes.add(first.value)
            continue
        if isinstance(first, ast.Attribute) and first.attr == "code":
            continue  # passes on the code of an error raised elsewhere
        assert fn is not None and isinstance(first, ast.JoinedStr), ast.unparse(call)
        (part,) = [v for v in first.values if isinstance(v, ast.FormattedValue)]
        assert isinstance(part.value, ast.Name), ast.unparse(call)
        index = [p.arg for p in _params(fn)].index(part.value.id)
        template = "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}"
            for v in first.values
        )
        for _, caller in _functions(tree):
            if _called_name(caller) == fn.name:
                arg = caller.args[index]
                assert isinstance(arg, ast.Constant), ast.unparse(caller)
                codes.add(template.format(arg.value))
    return codes


def condition_ids() -> set[str]:
    """The recognition conditions an assessment reports on."""
    rules = default_rules()
    profile = parse_profile({"org_type": "enterprise"}, rules.contacts.districts)
    from datetime import date

    return {c.id for c in assess(profile, rules, date(2026, 1, 1)).conditions}


def derived_metrics() -> set[str]:
    """Metrics that are not profile fields: the score and each ratio indicator."""
    ratios = {
        f"{part.numerator}_to_{part.denominator}_pct"
        for ind in default_rules().indicators.indicator
        for part in ind.part
        if isinstance(part, RatioHighPart)
    }
    return {"score", *ratios}


ENGINE_ERROR_CODES = {"invalid", "percent.range_low"}  # the engine's fallback and its open-ended range
STEP_FIELDS = {s.field for s in STEPS}


@cache
def templates() -> dict[str, set[str]]:
    """Each key built at run time, with every value its placeholder can take."""
    return {
        "q.{}.text": STEP_FIELDS,
        "q.{}.why": STEP_FIELDS,
        "q.{}.example": STEP_FIELDS,
        "metric.{}": {*FIELDS, *derived_metrics()},
        "condition.{}": condition_ids(),
        "menu.{}": {c.strip("/") for c in MENU_COMMANDS} | set(get_args(LeadKind)),
        "err.{}": answer_error_codes() | ENGINE_ERROR_CODES,
        "expect.{}": set(get_args(Kind)),
        "check.{}": {a for a, _ in PLAUSIBILITY},
        "lead.kind.{}": set(get_args(LeadKind)),
        "{}.text": set(LEAD_STEPS),  # a lead step's question
        "{}.invalid": {"lead_company", "lead_name"},  # the free-text lead steps
        "direct_route.{}": {r.id for r in default_rules().conditions.direct_route},
        "topic.{}": set(default_rules().topics.ids),
        # the direct-pass routes with an amount (dialogs/rule_answers.py)
        "faq.rule.route.{}": {
            r.id for r in default_rules().conditions.direct_route if r.min_amount is not None
        },
    }


TEMPLATE_NAMES = (
    "q.{}.text",
    "q.{}.why",
    "q.{}.example",
    "metric.{}",
    "condition.{}",
    "menu.{}",
    "err.{}",
    "expect.{}",
    "check.{}",
    "lead.kind.{}",
    "{}.text",
    "{}.invalid",
    "direct_route.{}",
    "topic.{}",
    "faq.rule.route.{}",
)


def test_the_scan_finds_the_keys_it_should() -> None:
    uses = key_uses()
    keys = {u.key for u in uses}
    # one of each way a key is passed: direct, through menu(), a variable, a default, a template
    assert {"q.progress", "start.greeting", "cancel.nothing", "menu.text", "q.{}.text"} <= keys
    assert {"session.corrupt", "forget.done", "console.prompt", "wecom.please_type"} <= keys
    assert len(condition_ids()) == 5
    assert {"money.invalid", "percent.range", "years.invalid", "choice.unknown"} <= answer_error_codes()


def test_every_key_the_code_uses_exists() -> None:
    uses = key_uses()
    known = catalog("zh")
    missing = sorted({f"{u.where}: {u.key}" for u in uses if "{}" not in u.key and u.key not in known})
    assert not missing, "keys not in the catalogs:\n" + "\n".join(missing)


def test_every_built_key_has_a_known_set_of_values() -> None:
    uses = key_uses()
    known = templates()
    unknown = sorted({f"{u.where}: {u.key}" for u in uses if "{}" in u.key and u.key not in known})
    assert not unknown, "add each to templates() with every value its {} can take:\n" + "\n".join(unknown)


def test_the_templates_are_the_ones_listed() -> None:
    assert sorted(templates()) == sorted(TEMPLATE_NAMES)


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_every_built_key_exists_for_every_value(template: str) -> None:
    known = catalog("zh")
    values = templates()[template]
    assert values, template
    missing = sorted(k for k in (template.format(v) for v in values) if k not in known)
    assert not missing, "keys not in the catalogs:\n" + "\n".join(missing)


def test_the_catalogs_render_for_an_empty_session() -> None:
    # a smoke check that the engine's catalogs are these files
    from dialogs.engine import DialogEngine

    engine = DialogEngine()
    for lang in LANGS:
        assert engine.t(Session(lang=lang), "menu.text") == catalog(lang)["menu.text"]
