"""Issue 13, done when: a scripted person at `zjtx chat --jsonl` (the real command, its clock
set by ZJTX_NOW) types ranges, wrong units and natural phrases, stops for a day and is
reminded, edits from the summary, and gets a result equal to what the rules engine gives
on the cautious reading of every answer — read by this test from what was typed, not from
the assistant. A second person stops in the evening and is reminded the next morning, not
at night; the first opts in to the yearly reminder and gets it a year on.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from rules import assess, default_rules, parse_profile

RULES = default_rules()
WAN = Decimal(10_000)

# What the person types at each question, and what it must be read as (the cautious end of a
# range: the lower one where more is better, the upper one for the debt ratio; a figure in
# the wrong unit asked back and its likelier reading chosen).
ENTERPRISE: dict[str, tuple[list[str], Any]] = {
    "org_type": (["1"], "enterprise"),
    "certification": (["省级"], "provincial"),
    "district": (["天河"], "天河区"),
    "niche_years": (["2019年开始做的"], 7),  # years to the injected day, 2026
    "revenue": (["12,000,000", "1"], 1200 * WAN),  # 1200 亿 asked back: "1" is 1200 万元
    "rd_expense": (["一两百万"], 100 * WAN),
    "profit": (["五六十万"], 50 * WAN),
    "main_business_share_pct": (["0.92", "1"], 92),  # 0.92% asked back: "1" is 92%
    "main_revenue_growth_pct": (["10%到15%"], 10),
    "product_field": (["B"], "B"),
    "digital_level": (["二级"], 2),
    "quality": (["有ISO9001，还有自主品牌"], ["quality_certification", "own_brand"]),
    "debt_ratio_pct": (["40%到50%"], 50),
    "distinctive": (["都没有"], []),
    "talent": (["市级"], "municipal"),
    "ip": (["C"], "C"),
    "rd_staff_pct": (["15%"], 15),
    "rd_institution": (["市级"], "municipal"),
    "sci_award": (["都没有"], "none"),
    "rd_expense_avg_2y": (["一百多万"], 100 * WAN),
    "equity_financing_2y": (["没有融资"], 0),
    "maker_top500": (["没有"], False),
    "listing_plan": (["暂时没有"], False),
    "has_bank_loans": (["有"], True),
    "provincial_tech_upgrade_funded": (["否"], False),
    "relocating_to_guangzhou": (["否"], False),
    "annual_tax": (["两三百万"], 200 * WAN),
}
EDITED_REVENUE = (["五六千万"], 5000 * WAN)  # changed from the summary
INSTITUTION: dict[str, tuple[list[str], Any]] = {
    "org_type": (["服务机构"], "service_institution"),
    "registered_capital": (["一千多万"], 1000 * WAN),
    "operates_park": (["是的"], True),
    "district": (["黄埔"], "黄埔区"),
}


class Terminal:
    """One run of `zjtx chat --jsonl` for one person, talked to a line at a time."""

    def __init__(self, db: Path, user: str, now: str) -> None:
        cmd = [sys.executable, "-m", "bot", "chat", "--jsonl", "--db", str(db), "--user", user]
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "ZJTX_NOW": now},
        )
        assert self.proc.stdout is not None
        self._fd = self.proc.stdout.fileno()
        self._ready = selectors.DefaultSelector()
        self._ready.register(self._fd, selectors.EVENT_READ)
        self._buffer = b""

    def _read(self) -> dict[str, Any]:
        while b"\n" not in self._buffer:
            # a bound on waiting for the process to answer, never a pause: each line is
            # written and flushed as soon as its turn is committed
            assert self._ready.select(timeout=60), "zjtx chat did not answer within a minute"
            chunk = os.read(self._fd, 1 << 16)
            assert chunk, self._stderr()
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        found: dict[str, Any] = json.loads(line)
        return found

    def _stderr(self) -> str:
        self.proc.wait(timeout=60)
        return self.proc.stderr.read().decode() if self.proc.stderr else "zjtx chat ended"

    def replies(self, count: int | None = None) -> list[dict[str, Any]]:
        """The next `count` lines, or those up to what ends a questionnaire turn: a question,
        or the menu after a result."""
        out = [self._read()]
        while len(out) != count and (count is not None or not _ends_a_turn(out[-1])):
            out.append(self._read())
        return out

    def send(self, text: str, count: int | None = None) -> list[dict[str, Any]]:
        assert self.proc.stdin is not None
        self.proc.stdin.write((text + "\n").encode())
        self.proc.stdin.flush()
        return self.replies(count)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        assert self.proc.wait(timeout=60) == 0, self._stderr()
        assert self._buffer == b"" and os.read(self._fd, 1 << 16) == b""  # nothing left unread
        self._ready.close()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def _ends_a_turn(line: dict[str, Any]) -> bool:
    after_result = line["type"] == "message" and any(c["value"] == "/join" for c in line.get("choices", []))
    return line["type"] == "question" or after_result


def answer(
    term: Terminal, out: list[dict[str, Any]], answers: dict[str, tuple[list[str], Any]], until: str
) -> list[dict[str, Any]]:
    """Answer every question from `answers` (a figure asked back: its second line) until the
    question `until` is asked; return that turn's lines."""
    for _ in range(80):
        asked = [line for line in out if line["type"] == "question"][-1]["id"]
        if asked == until:
            return out
        typed, _ = answers[asked.removeprefix("verify_")]
        out = term.send(typed[1] if asked.startswith("verify_") else typed[0])
    raise AssertionError(f"{until} was never asked")


def last_question(out: list[dict[str, Any]]) -> dict[str, Any]:
    return [line for line in out if line["type"] == "question"][-1]


def expected(answers: dict[str, tuple[list[str], Any]], fields: list[str], day: date) -> dict[str, Any]:
    """What the rules engine gives on the cautious readings of these fields' answers."""
    profile = parse_profile({f: answers[f][1] for f in fields}, RULES.contacts.districts)
    return assess(profile, RULES, day).contract()


def summary_fields(question: dict[str, Any]) -> list[str]:
    return [c["value"] for c in question["choices"] if c["value"] != "yes"]


def test_a_person_types_as_people_do_stops_for_a_day_edits_and_gets_the_rules_result(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    day_one = Terminal(db, "alice", "2026-11-23T10:00:00+08:00")
    out = answer(day_one, day_one.send("/assess"), ENTERPRISE, until="main_business_share_pct")
    day_one.close()  # gone for a day, stopped at question 8

    early = Terminal(db, "alice", "2026-11-24T09:00:00+08:00")
    assert [line["type"] for line in early.replies()] == ["question"]  # not a day yet: no reminder
    early.close()

    day_two = Terminal(db, "alice", "2026-11-24T10:30:00+08:00")
    reminder, question = day_two.replies()
    assert reminder["type"] == "message" and "第 8/" in reminder["text"]
    assert [c["value"] for c in reminder["choices"]] == ["/assess", "/stop_reminders"]
    assert question["id"] == "main_business_share_pct"
    out = answer(day_two, day_two.send("/assess"), ENTERPRISE, until="confirm")

    summary = last_question(out)
    lines = summary["text"]
    assert "1200 万元" in lines and "100–200 万元（按 100 万元计）" in lines and "40–50%（按 50%计）" in lines
    out = day_two.send(str(summary_fields(summary).index("revenue") + 1))
    assert last_question(out)["id"] == "revenue"
    answers = {**ENTERPRISE, "revenue": EDITED_REVENUE}
    out = answer(day_two, day_two.send(EDITED_REVENUE[0][0]), answers, until="confirm")
    summary = last_question(out)
    assert "5000–6000 万元（按 5000 万元计）" in summary["text"]
    fields = summary_fields(summary)
    assert fields.index("revenue") == list(ENTERPRISE).index("revenue")  # the line kept its place

    out = day_two.send("确认")
    [result] = [line for line in out if line["type"] == "result"]
    assert result["assessment"] == expected(answers, fields, date(2026, 11, 24))
    [opted] = day_two.send("/remind_yearly", count=1)
    assert "2027-11-24" in opted["text"]
    day_two.close()

    a_year_on = Terminal(db, "alice", "2027-11-24T10:05:00+08:00")
    [yearly] = a_year_on.replies(count=1)  # nothing pending: the yearly reminder, first thing
    assert [c["value"] for c in yearly["choices"]] == ["/restart", "/stop_reminders"]
    a_year_on.close()


def test_a_person_who_stops_in_the_evening_is_reminded_in_the_morning_not_at_night(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    evening = Terminal(db, "bob", "2026-11-23T21:40:00+08:00")
    answer(evening, evening.send("/assess"), INSTITUTION, until="operates_park")
    evening.close()

    night = Terminal(db, "bob", "2026-11-24T22:00:00+08:00")  # a day on, but 22:00
    assert [line["type"] for line in night.replies()] == ["question"]
    night.close()

    morning = Terminal(db, "bob", "2026-11-25T08:01:00+08:00")
    reminder, question = morning.replies()
    assert "第 3/4 题" in reminder["text"] and question["id"] == "operates_park"
    out = answer(morning, morning.send("/assess"), INSTITUTION, until="confirm")
    assert "1000 万元以上（按 1000 万元计）" in last_question(out)["text"]
    [result] = [line for line in morning.send("确认") if line["type"] == "result"]
    fields = ["org_type", "registered_capital", "operates_park", "district"]
    assert result["assessment"] == expected(INSTITUTION, fields, date(2026, 11, 25))
    morning.close()
