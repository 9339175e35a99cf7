"""Editing from the summary, as a person at `zjtx chat --jsonl` does it: strings in, JSON
lines out. An edit comes back to the summary, questions that became relevant are asked
first, answers that no longer apply leave the summary and the profile, and the numbering
(第 n/N 题, the summary's lines, the intro's count) stays true throughout."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.db import connect
from bot.store import MemoryStore, SqliteStore
from tests.conversations import EXAMPLE_A, EXAMPLE_A_TYPED, Chat
from tests.dialogs.test_conversations import expected, question, result_of

DIRECT_PASS = ("sci_award", "rd_expense_avg_2y", "equity_financing_2y", "maker_top500")
FLAGS = ("listing_plan", "has_bank_loans", "provincial_tech_upgrade_funded")
LINE = re.compile(r"^(\d+)\. (.+?)：(.*)$")
SEP = "；"  # short answers share a line of the summary (a phone screen, not a form)


def summary_lines(q: dict[str, Any]) -> list[tuple[int, str, str]]:
    assert q["id"] == "confirm", q
    items = [item for line in q["text"].splitlines() for item in line.split(SEP)]
    return [(int(m[1]), m[2], m[3]) for m in map(LINE.match, items) if m]


def summary_fields(q: dict[str, Any]) -> list[str]:
    """The fields of the summary's lines, from its "change" buttons, in line order."""
    return [c["value"] for c in q["choices"] if c["value"] != "yes"]


def to_summary(chat: Chat, answers: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Answer every question from `answers` (跳过 for the rest) until the summary; return it
    and every question line asked on the way."""
    asked: list[dict[str, Any]] = []
    replies = chat.send("/assess")
    for _ in range(60):
        q = question(replies)
        if q["id"] == "confirm":
            return q, asked
        asked.append(q)
        replies = chat.send(answers.get(q["id"], "跳过"))
    raise AssertionError("no summary")


WITHOUT_DEBT = {**EXAMPLE_A_TYPED, "debt_ratio_pct": "跳过", "sci_award": "都没有", "maker_top500": "否"}
WITHOUT_DEBT |= {"rd_expense_avg_2y": "300万", "equity_financing_2y": "没有融资"}


def test_a_skipped_answer_edited_from_the_summary_keeps_its_place_and_drops_what_no_longer_applies() -> None:
    chat = Chat(MemoryStore())
    summary, _ = to_summary(chat, WITHOUT_DEBT)
    fields = summary_fields(summary)
    assert set(DIRECT_PASS) <= set(fields)  # debt skipped: 67 points, below the pass mark
    debt_line = fields.index("debt_ratio_pct") + 1
    assert summary_lines(summary)[debt_line - 1][2] == "（已跳过）"

    replies = chat.send(str(debt_line))
    q = question(replies)
    assert q["id"] == "debt_ratio_pct"
    assert q["progress"] == [debt_line, len(fields)]  # its own place, not "22/22"
    assert q["text"].startswith(f"第 {debt_line}/{len(fields)} 题")

    replies = chat.send("45")
    said = [line["text"] for line in replies if line["type"] == "message"]
    assert said[0] == "好的，按 45%计。"
    dropped = "科技奖励、近两年研发费用均值、近两年新增股权融资、创客中国 500 强"
    assert said[1] == f"以下回答已不再适用，已从汇总中移除：{dropped}"
    # now eligible: the subsidy questions apply and are asked, numbered in the new flow, then the summary
    new_total = len(fields) - len(DIRECT_PASS) + len(FLAGS)
    for flag in FLAGS:
        q = question(replies)
        assert q["id"] == flag
        assert q["progress"][1] == new_total
        replies = chat.send("否")
    summary = question(replies)
    after = summary_fields(summary)
    assert not set(DIRECT_PASS) & set(after)
    assert after.index("debt_ratio_pct") + 1 == debt_line  # the same line as before
    assert [n for n, _, _ in summary_lines(summary)] == list(range(1, new_total + 1))
    assert after[: debt_line - 1] == fields[: debt_line - 1]  # the lines before it did not move
    result = result_of(chat.send("确认"))
    assert result["assessment"] == expected(
        {**EXAMPLE_A, "listing_plan": False, "has_bank_loans": False, "provincial_tech_upgrade_funded": False}
    )


def test_an_edit_that_makes_questions_relevant_asks_them_in_order_then_the_summary() -> None:
    chat = Chat(MemoryStore())
    summary, _ = to_summary(chat, EXAMPLE_A_TYPED)
    fields = summary_fields(summary)
    assert not set(DIRECT_PASS) & set(fields) and set(FLAGS) <= set(fields)
    replies = chat.send(str(fields.index("debt_ratio_pct") + 1))
    replies = chat.send("80%")  # 67 points: the direct-pass routes now matter, the subsidies no longer
    said = [line["text"] for line in replies if line["type"] == "message"]
    assert "以下回答已不再适用，已从汇总中移除：上市计划、银行贷款、省级技改资金" in said
    asked = []
    for _ in range(10):
        q = question(replies)
        if q["id"] == "confirm":
            break
        asked.append((q["id"], q["progress"]))
        replies = chat.send({"sci_award": "都没有", "maker_top500": "否"}.get(q["id"], "0"))
    assert [qid for qid, _ in asked] == [
        "sci_award",
        "rd_expense_avg_2y",
        "equity_financing_2y",
        "maker_top500",
    ]
    total = asked[0][1][1]
    assert [n for _, (n, _) in asked] == list(range(total - 3, total + 1))  # the last four of the flow
    summary = question(replies)
    assert summary_fields(summary)[-4:] == list(DIRECT_PASS) and len(summary_fields(summary)) == total


def test_editing_with_nothing_new_returns_straight_to_the_summary_in_the_same_order() -> None:
    chat = Chat(MemoryStore())
    summary, _ = to_summary(chat, EXAMPLE_A_TYPED)
    before = summary_fields(summary)
    replies = chat.send(str(before.index("revenue") + 1))
    replies = chat.send("1.1亿")
    summary = question(replies)
    assert summary_fields(summary) == before
    assert ("5", "上年度营业收入", "1.1 亿元") in [
        (str(n), name, value) for n, name, value in summary_lines(summary)
    ]


def test_every_question_reopened_from_the_summary_shows_its_line_number() -> None:
    chat = Chat(MemoryStore())
    summary, _ = to_summary(chat, EXAMPLE_A_TYPED)
    fields = summary_fields(summary)
    for n, field in enumerate(fields, start=1):
        q = question(chat.send(str(n)))
        assert (q["id"], q["progress"]) == (field, [n, len(fields)])
        summary = question(chat.send(EXAMPLE_A_TYPED[field]))
        assert summary_fields(summary) == fields


def test_the_intro_promises_the_count_the_first_question_shows() -> None:
    chat = Chat(MemoryStore())
    replies = chat.send("/assess")
    intro = replies[0]["text"]
    first = question(replies)
    count = int(re.search(r"大约 (\d+) 题", intro).group(1))  # type: ignore[union-attr]
    assert first["progress"] == [1, count]


def test_numbering_never_runs_past_the_total_on_the_way() -> None:
    chat = Chat(MemoryStore())
    summary, asked = to_summary(chat, WITHOUT_DEBT)
    for q in asked:
        n, total = q["progress"]
        assert 1 <= n <= total
    assert [q["progress"][0] for q in asked] == sorted(q["progress"][0] for q in asked)
    assert asked[-1]["progress"] == [len(summary_fields(summary))] * 2


def test_switching_to_a_service_institution_from_the_summary_drops_the_enterprise_answers(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.db"
    chat = Chat(SqliteStore(connect(db)))
    to_summary(chat, EXAMPLE_A_TYPED)
    replies = chat.send("1")
    assert question(replies)["id"] == "org_type"
    replies = chat.send("服务机构")
    asked = []
    for _ in range(6):
        q = question(replies)
        if q["id"] == "confirm":
            break
        asked.append(q["id"])
        replies = chat.send({"registered_capital": "2000万", "operates_park": "是"}[q["id"]])
    assert asked == ["registered_capital", "operates_park"]
    assert summary_fields(question(replies)) == [
        "org_type",
        "registered_capital",
        "operates_park",
        "district",
    ]
    stored = SqliteStore(connect(db)).load(chat.console.key).session  # and not in the stored profile either
    assert set(stored.answers) == {"org_type", "registered_capital", "operates_park", "district"}
    assert result_of(chat.send("确认"))["assessment"]["tier"] == "director"
