"""The console channel with pictures and documents: files written, paths printed, and the
JSON lines of docs/interfaces.md#command-line unchanged besides the new image and document lines."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PIL import Image as PILImage

from bot.channels.console import Console, files_beside
from bot.service import Assistant
from bot.store import MemoryStore
from tests.conversations import ENGINE, EXAMPLE_A_TYPED, TODAY


def chat(files: Path, jsonl: bool = True) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(Assistant(MemoryStore(), ENGINE, lambda: TODAY), "u/1", out, jsonl, files), out


def lines_of(out: io.StringIO) -> list[dict[str, Any]]:
    found = [json.loads(line) for line in out.getvalue().splitlines()]
    out.seek(0)
    out.truncate()
    return found


def finish(console: Console, out: io.StringIO) -> list[dict[str, Any]]:
    console.send("/assess")
    replies = lines_of(out)
    for _ in range(60):
        if any(r["type"] == "result" for r in replies):
            return replies
        q = replies[-1]
        console.send("yes" if q["id"].startswith("confirm") else EXAMPLE_A_TYPED.get(q["id"], "跳过"))
        replies = lines_of(out)
    raise AssertionError("no result")


def test_the_image_line_comes_before_the_result_and_names_a_png(tmp_path: Path) -> None:
    console, out = chat(tmp_path)
    replies = finish(console, out)
    kinds = [r["type"] for r in replies]
    assert kinds[kinds.index("image") + 1] == "result"
    image = replies[kinds.index("image")]
    assert set(image) == {"type", "path", "alt"} and image["alt"].startswith("自测得分 72/100")
    path = Path(image["path"])
    assert path.parent == tmp_path.resolve() and path.name == "u_1-zjtx-score-2026-11-23.png"
    assert PILImage.open(path).size == (1080, 1350)
    result = replies[kinds.index("result")]
    assert set(result) == {"type", "assessment", "text"}  # the contract's line, unchanged


def test_report_writes_a_pdf_and_a_second_card_does_not_overwrite_the_first(tmp_path: Path) -> None:
    console, out = chat(tmp_path)
    finish(console, out)
    console.send("/report")
    [document] = lines_of(out)
    assert document["type"] == "document" and document["caption"] == "专精特新自测报告（2026-11-23）"
    assert Path(document["path"]).read_bytes().startswith(b"%PDF")
    console.send("/result")
    again = next(r for r in lines_of(out) if r["type"] == "image")
    assert again["path"].endswith("u_1-zjtx-score-2026-11-23-2.png")


def test_a_person_at_the_terminal_is_told_where_the_files_are(tmp_path: Path) -> None:
    console, out = chat(tmp_path, jsonl=False)
    console.send("/assess")
    for answer in ["1", *(["跳过"] * 30)]:
        console.send(
            "确认" if console.assistant.store.load(console.key).session.pending == "confirm" else answer
        )
        if "成绩卡已保存" in out.getvalue():
            break
    text = out.getvalue()
    assert f"🖼 成绩卡已保存：{tmp_path.resolve()}" in text


def test_files_go_beside_the_database_by_default() -> None:
    assert files_beside("/var/lib/zjtx/zjtx.db") == Path("/var/lib/zjtx/zjtx-files")


def test_the_real_command_writes_the_card_beside_the_database(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    cmd = [sys.executable, "-m", "bot", "chat", "--jsonl", "--db", str(db), "--today", "2026-11-23"]
    answers = "\n".join(["/assess", "2", "1000万", "否", "天河", "yes", "/report"]) + "\n"
    run = subprocess.run(cmd, input=answers, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    media = [line for line in lines if line["type"] in ("image", "document")]
    assert [m["type"] for m in media] == ["image", "document"]
    assert all(Path(m["path"]).parent == tmp_path / "chat-files" for m in media)


def test_forget_deletes_the_persons_pictures_and_reports_and_no_one_elses(tmp_path: Path) -> None:
    """/forget in the real `zjtx chat`: the card and the report of the person are deleted
    from the files folder with their rows; another person's files, and files that are not
    the chat's, stay."""
    db = tmp_path / "chat.db"
    files = tmp_path / "chat-files"

    def session(user: str, answers: list[str]) -> list[dict[str, Any]]:
        cmd = [sys.executable, "-m", "bot", "chat", "--jsonl", "--db", str(db), "--user", user]
        run = subprocess.run(
            [*cmd, "--today", "2026-11-23"], input="".join(f"{a}\n" for a in answers), capture_output=True,
            text=True, timeout=120, check=False,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        return [json.loads(line) for line in run.stdout.splitlines()]

    assess = ["/assess", "2", "1000万", "否", "天河", "yes", "/report"]
    session("u1", assess)
    session("u1-zjtx", assess)  # a prefix of one name must not reach another's files
    session("u2", assess)
    (files / "notes.txt").write_text("kept", encoding="utf-8")
    mine = sorted(p.name for p in files.glob("u1-zjtx-score-*")) + sorted(
        p.name for p in files.glob("u1-zjtx-report-*")
    )
    assert mine == ["u1-zjtx-score-2026-11-23.png", "u1-zjtx-report-2026-11-23.pdf"]
    before = {p.name for p in files.iterdir()}
    asked, done = [line for line in session("u1", ["/forget", "是"]) if line["type"] == "message"]
    assert [c["value"] for c in asked["choices"]] == ["/forget confirm", "/forget keep"]  # asked first
    after = {p.name for p in files.iterdir()}
    assert before - after == set(mine)
    assert {"u2-zjtx-score-2026-11-23.png", "u1-zjtx-zjtx-score-2026-11-23.png", "notes.txt"} <= after
    assert any(ch.isdigit() for ch in done["text"])  # how many things were deleted


def zjtx_chat(
    tmp_path: Path, now: str, lines: list[str], *options: str
) -> tuple[int, list[dict[str, Any]], str]:
    """One run of `zjtx chat --jsonl` with its clock at ``now`` (ZJTX_NOW)."""
    cmd = [sys.executable, "-m", "bot", "chat", "--jsonl", "--db", str(tmp_path / "chat.db"), "--user", "u1"]
    env = {**os.environ, "ZJTX_NOW": now, "ZJTX_DB": str(tmp_path / "unused.db")}
    run = subprocess.run(
        [*cmd, *options], input="".join(f"{line}\n" for line in lines), capture_output=True, text=True,
        timeout=120, check=False, env=env,
    )  # fmt: skip
    return run.returncode, [json.loads(line) for line in run.stdout.splitlines()], run.stderr


def test_a_reminder_due_when_the_chat_starts_is_shown_first_and_once(tmp_path: Path) -> None:
    code, _, err = zjtx_chat(tmp_path, "2026-11-23T10:00:00+08:00", ["/assess", "1"])
    assert code == 0, err
    code, early, err = zjtx_chat(tmp_path, "2026-11-24T09:59:00+08:00", [])
    assert code == 0 and [line["type"] for line in early] == ["question"], err  # not due yet
    code, due, err = zjtx_chat(tmp_path, "2026-11-24T10:01:00+08:00", [], "--lang", "zh")
    assert code == 0, err
    reminder, question = due
    assert reminder["type"] == "message" and "第 2/" in reminder["text"]
    assert [c["value"] for c in reminder["choices"]] == ["/assess", "/stop_reminders"]
    assert question["type"] == "question" and question["id"] == "certification"
    code, again, err = zjtx_chat(tmp_path, "2026-11-25T10:01:00+08:00", [])
    assert code == 0 and [line["type"] for line in again] == ["question"], err  # once


def test_zjtx_now_without_its_offset_is_refused_plainly(tmp_path: Path) -> None:
    code, out, err = zjtx_chat(tmp_path, "2026-11-23 10:00", [])
    assert code == 2 and out == []
    assert "ZJTX_NOW" in err and "offset" in err and "Traceback" not in err
