"""Conversations the tests and the benchmarks share: worked example A answered the way
people type it (docs/rules.md#worked-examples), two more paths through the questionnaire,
and :class:`Chat`, a person at `zjtx chat --jsonl` in process.
"""

from __future__ import annotations

import io
import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from bot.channels.console import Console
from bot.service import Assistant
from bot.store import MemoryStore, SessionKey, Store
from dialogs.engine import DialogEngine
from dialogs.flow import CONFIRM
from dialogs.messages import Inbound, Question

TODAY = date(2026, 11, 23)
ENGINE = DialogEngine()

# Worked example A of docs/rules.md#worked-examples, answered the way people type.
EXAMPLE_A_TYPED = {
    "org_type": "1",
    "certification": "创新型",
    "district": "天河",
    "niche_years": "七年",
    "revenue": "1.2亿",
    "rd_expense": "600万元",
    "profit": "960万",
    "main_business_share_pct": "92%",
    "main_revenue_growth_pct": "百分之十二",
    "product_field": "B",
    "digital_level": "二级",
    "quality": "2,3",
    "debt_ratio_pct": "45",
    "distinctive": "A",
    "talent": "市级",
    "ip": "C",
    "rd_staff_pct": "15%",
    "rd_institution": "市级",
    "listing_plan": "否",
    "has_bank_loans": "没有",
    "provincial_tech_upgrade_funded": "否",
}
EXAMPLE_A = {
    "org_type": "enterprise",
    "certification": "innovative",
    "district": "天河区",
    "niche_years": 7,
    "revenue": 120_000_000,
    "rd_expense": 6_000_000,
    "profit": 9_600_000,
    "main_business_share_pct": 92,
    "main_revenue_growth_pct": 12,
    "product_field": "B",
    "digital_level": 2,
    "quality": ["quality_certification", "own_brand"],
    "debt_ratio_pct": 45,
    "distinctive": ["A"],
    "talent": "municipal",
    "ip": "C",
    "rd_staff_pct": 15,
    "rd_institution": "municipal",
    "listing_plan": False,
    "has_bank_loans": False,
    "provincial_tech_upgrade_funded": False,
}

# The answers that are figures (amounts, shares, years), typed: the rest are choices.
FIGURES_TYPED = {
    field: EXAMPLE_A_TYPED[field]
    for field in (
        "niche_years",
        "revenue",
        "rd_expense",
        "profit",
        "main_business_share_pct",
        "main_revenue_growth_pct",
        "debt_ratio_pct",
        "rd_staff_pct",
    )
}
# A small municipal enterprise below the pass mark: the longest path (direct-pass and tax questions).
SMALL_MUNICIPAL_TYPED = {
    **EXAMPLE_A_TYPED,
    "certification": "市级",
    "revenue": "500万",
    "equity_financing_2y": "0",
    "rd_expense": "10万",
    "profit": "5万",
    "main_business_share_pct": "50%",
    "digital_level": "一级",
    "quality": "无",
    "distinctive": "无",
    "talent": "无",
    "ip": "E",
    "rd_staff_pct": "1%",
    "rd_institution": "无",
    "sci_award": "都没有",
    "rd_expense_avg_2y": "100万",
    "maker_top500": "否",
    "annual_tax": "50万",
}
# A service institution: the shortest path.
INSTITUTION_TYPED = {
    "org_type": "服务机构",
    "registered_capital": "2000万",
    "operates_park": "是",
    "district": "黄埔",
}


class Chat:
    """A person at `zjtx chat --jsonl`, in process."""

    def __init__(self, store: Store, user: str = "u1", lang: str | None = None) -> None:
        self.out = io.StringIO()
        self._files = tempfile.TemporaryDirectory()  # score cards and reports, removed with the chat
        files = Path(self._files.name)
        self.console = Console(
            Assistant(store, ENGINE, lambda: TODAY), user, self.out, jsonl=True, files=files
        )
        self.console.start(lang)
        self.opening = self._drain()

    def _drain(self) -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in self.out.getvalue().splitlines()]
        self.out.seek(0)
        self.out.truncate()
        return lines

    def send(self, text: str) -> list[dict[str, Any]]:
        self.console.send(text)
        return self._drain()

    def answer_all(self, answers: dict[str, str], limit: int = 60) -> dict[str, Any]:
        """Answer each question by its id until the result; returns the result line."""
        replies = self.send("/assess")
        for _ in range(limit):
            results = [line for line in replies if line["type"] == "result"]
            if results:
                return results[0]
            last = replies[-1]
            assert last["type"] == "question", replies
            qid = last["id"]
            if qid == "confirm" or qid.startswith("confirm_"):
                replies = self.send("yes")
            else:
                replies = self.send(answers.get(qid, "跳过"))
        raise AssertionError("no result")


# Worked example A with its options answered by their number, as a script of messages.
SCRIPT_CHOSEN = {
    "org_type": "enterprise",
    "certification": "innovative",
    "district": "天河区",
    "product_field": "B",
    "digital_level": "2",
    "quality": "quality_certification,own_brand",
    "distinctive": "A",
    "talent": "municipal",
    "ip": "C",
    "rd_institution": "municipal",
}


def assessment_script(engine: DialogEngine, today: date) -> list[str]:
    """The messages of one person's whole assessment (worked example A as people type it,
    options by their number), found by running it once in memory: what benchmarks and the
    kill probe send."""
    assistant = Assistant(MemoryStore(), engine, lambda: today)
    key = SessionKey("script", "p", "p")
    sent = ["/restart"]
    replies = assistant.handle_now(key, Inbound(text=sent[0]))
    for _ in range(80):
        question = next((r for r in reversed(replies) if isinstance(r, Question)), None)
        if question is None:
            return sent
        if question.id == CONFIRM:
            answer = "确认"
        elif question.id in SCRIPT_CHOSEN:
            values = [c.value for c in question.choices]
            answer = ",".join(str(values.index(v) + 1) for v in SCRIPT_CHOSEN[question.id].split(","))
            if all(v.isdecimal() for v in values):
                answer = SCRIPT_CHOSEN[question.id]  # the engine reads numbers as the values then
        elif question.choices:
            answer = "2"  # the yes/no questions: 否
        else:
            answer = FIGURES_TYPED.get(question.id, "跳过")
        sent.append(answer)
        replies = assistant.handle_now(key, Inbound(text=answer))
    raise RuntimeError("the script never reached a result")
