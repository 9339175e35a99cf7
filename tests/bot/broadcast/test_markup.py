"""The broadcast text as each platform shows it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.broadcast.markup import render
from tests.fakes.telegram_api import _parse_html


def test_markdown_becomes_telegram_html_wecom_markdown_and_plain_text() -> None:
    r = render("# 标题\n**粗** *斜* `码` [链接](https://a.cn/?x=1&y=2)\n- 项目\n\n> 引用 <a&b>")
    assert r.telegram_html == (
        "<b>标题</b>\n<b>粗</b> <i>斜</i> <code>码</code> "
        '<a href="https://a.cn/?x=1&amp;y=2">链接</a>\n• 项目\n\n'
        "<blockquote>引用 &lt;a&amp;b&gt;</blockquote>"
    )
    assert r.wecom_markdown == "# 标题\n**粗** 斜 `码` [链接](https://a.cn/?x=1&y=2)\n• 项目\n\n> 引用 <a&b>"
    assert r.plain == "标题\n粗 斜 码 链接 (https://a.cn/?x=1&y=2)\n• 项目\n\n> 引用 <a&b>"


def test_the_html_subset_means_the_same() -> None:
    assert render("<b>粗</b> <i>斜</i><br><a href='https://a.cn'>链接 &amp; 更多</a>").telegram_html == (
        '<b>粗</b> <i>斜</i>\n<a href="https://a.cn">链接 &amp; 更多</a>'
    )


def test_what_is_not_markup_stays_text() -> None:
    r = render("2*3*4 = 24, a_b, <script>x</script>, \\*星\\*, [无链接](javascript:x)")
    assert r.plain == "2*3*4 = 24, a_b, <script>x</script>, *星*, [无链接](javascript:x)"
    assert "<script>" not in r.telegram_html


def test_the_length_telegram_counts_is_the_text_without_tags() -> None:
    assert render("**粗**体 😀").telegram_visible == len("粗体 ") + 2  # an emoji is two UTF-16 units


@given(st.text(alphabet=st.sampled_from("ab 政*`[]()<>&#-\n\\_/:bi"), max_size=60))
def test_whatever_staff_type_telegram_accepts_and_counts_as_we_do(source: str) -> None:
    r = render(source)
    visible, _ = _parse_html(r.telegram_html)
    assert len(visible.encode("utf-16-le")) // 2 == r.telegram_visible
