"""The score card and the PDF report, looked at as a picture and read as a document."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import pytest
from PIL import Image as PILImage
from pypdf import PdfReader

from bot import media
from bot.media import fonts
from bot.media.card import HEIGHT, WIDTH, draw
from dialogs.engine import DialogEngine
from dialogs.messages import Image, ReportDoc, Section
from rules import default_rules
from tests.rules.examples import EXAMPLE_A, EXAMPLE_B, EXAMPLE_C, assess_answers

ENGINE = DialogEngine()
TODAY = date(2026, 11, 23)


def card_of(answers: dict[str, object], lang: str = "zh") -> Image:
    return ENGINE.score_image(lang, assess_answers(answers, TODAY), TODAY)


def pdf_text(data: bytes) -> tuple[int, str]:
    """(pages, text without any whitespace: the extractor spaces CJK glyphs apart)."""
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


# ---------------------------------------------------------------- the score card


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("answers", [EXAMPLE_A, EXAMPLE_B, EXAMPLE_C])
def test_the_card_is_a_portrait_png_under_300_kb(answers: dict[str, object], lang: str) -> None:
    data = media.render(card_of(answers, lang))
    picture = PILImage.open(io.BytesIO(data))
    assert picture.format == "PNG" and picture.size == (WIDTH, HEIGHT) == (1080, 1350)
    assert len(data) < 300_000


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_character_drawn_has_a_glyph_in_the_font(lang: str) -> None:
    card = card_of(EXAMPLE_B, lang).card
    assert fonts.missing(card.texts()) == set()  # nothing had to be left out
    _, drawn = draw(card)
    glyphs = fonts.cmap()  # the font's own cmap: code point → glyph
    for item in drawn:
        lacking = [ch for ch in item.text if not ch.isspace() and ord(ch) not in glyphs]
        assert lacking == [], item.text


def test_the_card_draws_what_it_says() -> None:
    a = assess_answers(EXAMPLE_B, TODAY)
    card = card_of(EXAMPLE_B).card
    _, drawn = draw(card)
    shown = [d.text for d in drawn]
    assert str(a.score) in shown and "/100" in shown and "70" in shown
    assert "暂不符合认定条件" in shown and "会员单位" in shown
    assert [g.label for g in card.groups] == ["专业化", "精细化", "特色化", "创新能力"]
    assert sum(g.value for g in card.groups) == a.score
    assert [c.met for c in card.conditions] == [True, True, False, True, False]
    assert any("评估日期 2026-11-23" in t and a.rules_version in t for t in shown)


def test_the_picture_is_not_blank_where_the_text_is() -> None:
    image, drawn = draw(card_of(EXAMPLE_A).card)
    rgb = image.convert("RGB")
    assert drawn
    for item in drawn:
        region = rgb.crop(item.box)
        colours: list[tuple[int, tuple[int, int, int]]] = region.getcolors(maxcolors=1 << 16) or []  # type: ignore[assignment]
        inked = sum(n for n, c in colours if sum(abs(a - b) for a, b in zip(c, item.fill, strict=True)) < 60)
        assert len(colours) > 2 and inked > 10, item.text


def test_an_english_card_is_in_english() -> None:
    card = card_of(EXAMPLE_A, "en").card
    assert card.title.endswith("self-assessment") and card.verdict == "Meets the conditions"


def test_a_service_institution_gets_a_card_without_a_score() -> None:
    image = card_of({"org_type": "service_institution", "registered_capital": 20_000_000})
    picture, drawn = draw(image.card)
    assert picture.size == (1080, 1350) and "理事单位" in [d.text for d in drawn]


def test_a_symbol_the_font_lacks_is_left_out_never_drawn_as_a_box() -> None:
    assert fonts.printable("✅ 符合 ✗ 研发 📊 72") == "✓ 符合 × 研发 72"
    assert fonts.missing([fonts.printable("⚠️ 已到期 🏅 会员")]) == set()


# ---------------------------------------------------------------- the PDF report


@pytest.mark.parametrize("answers", [EXAMPLE_A, EXAMPLE_B, EXAMPLE_C])
def test_the_report_holds_the_score_every_indicator_and_the_shortfalls(answers: dict[str, object]) -> None:
    a = assess_answers(answers, TODAY)
    data = media.render(ENGINE.report_document("zh", a, dict(answers), TODAY))
    pages, text = pdf_text(data)
    assert data.startswith(b"%PDF") and 1 <= pages <= 3
    assert f"评分：{a.score}/100分（及格线70分）" in text
    for ind in default_rules().indicators.indicator:
        assert squeeze(ind.label.zh) in text
    for cond in a.conditions:
        for gap in cond.gaps:
            if gap.metric == "rd_expense":
                assert squeeze(f"还差{int(gap.short or 0) // 10_000}万元") in text
    assert "2026-11-23" in text and a.rules_version in text and "来源：" in text


def test_the_report_gives_shortfalls_subsidies_validity_and_contacts() -> None:
    a = assess_answers(EXAMPLE_B, TODAY)
    _, text = pdf_text(media.render(ENGINE.report_document("zh", a, dict(EXAMPLE_B), TODAY)))
    assert "上年度研发费用：90万元，还差10万元（需≥100万元）" in text
    assert "研发费用占营业收入比重：0.75%，需≥3%" in text
    assert "18011714912" in text and "13413669836" in text
    a = assess_answers(EXAMPLE_A, TODAY)
    _, text = pdf_text(media.render(ENGINE.report_document("zh", a, dict(EXAMPLE_A), TODAY)))
    assert "2022-04-13至2024-12-31" in text and "已到期" in text
    assert "特色化指标（广东省自主设定）：再满足一项，+5分" in text  # the improvement plan


def test_the_english_report_is_in_english() -> None:
    a = assess_answers(EXAMPLE_A, TODAY)
    _, text = pdf_text(media.render(ENGINE.report_document("en", a, dict(EXAMPLE_A), TODAY)))
    assert "Score:72/100(passmark70)" in text and "Youranswers" in text and "评分" not in text


def test_the_report_embeds_a_subset_of_the_cjk_font() -> None:
    a = assess_answers(EXAMPLE_A, TODAY)
    data = media.render(ENGINE.report_document("zh", a, dict(EXAMPLE_A), TODAY))
    reader = PdfReader(io.BytesIO(data))
    resources: Any = reader.pages[0]["/Resources"]
    names = [str(f.get_object()["/BaseFont"]) for f in resources["/Font"].values()]
    assert any(n.startswith("/MPDFAA+NotoSansCJKSC") for n in names)
    assert len(data) < 400_000  # a subset: the face alone is 16 MB


def test_a_character_outside_the_cut_down_font_still_prints() -> None:
    rare = "龘"  # in Noto Sans CJK, in no catalog or rules file
    assert ord(rare) in fonts.cmap() and ord(rare) not in fonts.pdf_font().glyphs
    doc = ReportDoc(
        "zh", "报告", "促进会", ("2026-11-23",), "标题", (Section("一节", (f"字：{rare}",)),), "页脚"
    )
    _, text = pdf_text(_pdf(doc))
    assert rare in text


def _pdf(doc: ReportDoc) -> bytes:
    from bot.media.pdf import render_report

    return render_report(doc)
