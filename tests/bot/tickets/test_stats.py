"""zjtx tickets stats and zjtx faq: the figures from the stored tickets, the staff entries."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.db import connect
from bot.knowledge import Knowledge
from bot.store import SessionKey
from bot.tickets.cli import run
from bot.tickets.stats import ticket_stats
from bot.tickets.store import Opening, TicketStore
from dialogs.i18n import load_catalogs
from rules import default_rules
from rules.faq import default_faq
from tests.bot.test_knowledge import record
from tests.bot.tickets.test_store import answer

DAY = 86400.0
START = 1_795_000_000.0  # 2026-11-18


def seed(path: Path) -> None:
    db = connect(path)
    store = TicketStore(db)
    waits = [600, 1200, 1800, 3600, 7200, 36000]  # seconds to the first reply
    for n, wait in enumerate(waits):
        key = SessionKey("telegram", str(n), str(n))
        opened_at = START + n * 3600
        topic = "membership" if n % 2 else None
        opening = Opening(
            key=key, question=f"问题 {n}", lang="zh", now=opened_at, topic=topic, in_hours=n < 4
        )
        ticket, _ = store.open(opening)
        answer(
            store,
            ticket.id,
            "telegram:7",
            None,
            "答复",
            opened_at + wait,
            via="telegram",
            delivered=True,
            close_at=None,
        )
    store.open(Opening(key=SessionKey("wecom", "z", "z"), question="晚一点", lang="zh", now=START + 3 * DAY))
    store.close(1, "telegram:7", "staff", START + DAY)
    db.close()


def test_the_figures(tmp_path: Path) -> None:
    seed(tmp_path / "t.db")
    stats = ticket_stats(connect(tmp_path / "t.db"))
    assert (stats.opened, stats.answered, stats.closed, stats.open_now) == (7, 6, 1, 6)
    assert (stats.waits.answered, stats.waits.median, stats.waits.p90) == (6, 1800, 36000)
    assert (stats.in_hours.answered, stats.in_hours.median) == (4, 1200)
    assert (stats.out_of_hours.answered, stats.out_of_hours.p90) == (2, 36000)
    assert stats.topics == [("", 4), ("membership", 3)] and stats.closed_by == {"staff": 1}
    later = ticket_stats(connect(tmp_path / "t.db"), since=START + 2 * DAY)
    assert (later.opened, later.answered, later.waits.median, later.open_now) == (1, 0, None, 6)


def test_zjtx_tickets_stats_prints_them_and_json(tmp_path: Path) -> None:
    seed(tmp_path / "t.db")
    out = io.StringIO()
    args = build_parser().parse_args(["tickets", "stats", "--db", str(tmp_path / "t.db")])
    assert run(args, out) == 0
    text = out.getvalue()
    assert "新开 7 · 已答复 6 · 已关闭 1 · 目前未关闭 6" in text
    assert "中位数 30 分钟" in text and "p90 10 小时 0 分钟" in text and "· 入会：3" in text
    out = io.StringIO()
    args = build_parser().parse_args(
        ["tickets", "stats", "--json", "--since", "2026-11-20", "--db", str(tmp_path / "t.db")]
    )
    assert run(args, out) == 0
    assert json.loads(out.getvalue())["opened"] == 1
    bad = build_parser().parse_args(
        ["tickets", "stats", "--since", "yesterday", "--db", str(tmp_path / "t.db")]
    )
    err = io.StringIO()
    assert run(bad, io.StringIO(), err) == 2 and "YYYY-MM-DD" in err.getvalue()


def test_zjtx_faq_list_remove_and_export(tmp_path: Path) -> None:
    db = connect(tmp_path / "k.db")
    Knowledge(db, default_faq(), default_rules(), load_catalogs()).save(record(), by="telegram:7")
    db.close()

    def zjtx(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        status = run(build_parser().parse_args([*argv, "--db", str(tmp_path / "k.db")]), out, err)
        return status, out.getvalue(), err.getvalue()

    status, listed, _ = zjtx("faq", "list", "--staff")
    assert status == 0 and listed.splitlines() == [
        "staff_1 · membership · 会员证书丢了怎么补办 · 秘书处答复 2026-11-24（陈老师）"
    ]
    assert len(zjtx("faq", "list")[1].splitlines()) == 1 + len(default_faq().entries)
    status, exported, said = zjtx("faq", "export")
    assert status == 0 and 'id = "staff_1"' in exported and "1" in said
    assert zjtx("faq", "remove", "membership_tiers")[0] == 1  # a seed entry stays
    assert zjtx("faq", "remove", "staff_1")[0] == 0
    assert zjtx("faq", "remove", "staff_1")[0] == 1
    assert zjtx("faq", "list", "--staff")[1] == ""


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({"ZJTX_OFFICE_HOURS": "weekdays"}, "ZJTX_OFFICE_HOURS"),
        ({"ZJTX_TICKET_REMIND": "soon"}, "ZJTX_TICKET_REMIND"),
    ],
)
def test_zjtx_serve_refuses_settings_it_cannot_use(
    values: dict[str, str],
    says: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from bot.cli import main

    monkeypatch.setenv("ZJTX_DB", str(tmp_path / "s.db"))
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    assert main(["serve"]) == 2
    assert says in capsys.readouterr().err
