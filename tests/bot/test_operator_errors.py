"""What an operator sees when the database cannot be used: one line, exit status 2, no
traceback, nothing half-written. The commands run as the operator runs them, in a child
process (`python -m bot …`); a full disk is a file-size limit on that process (or, in
process, a page limit on the connection), a read-only file one the process may not write.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import resource
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot import cli, db
from bot.db import MIGRATIONS, connect, migrations
from bot.store import SessionKey, SqliteStore
from tests.conversations import EXAMPLE_A_TYPED

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = "\n".join(["/assess", *EXAMPLE_A_TYPED.values()]) + "\n"
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="file-size limits and capabilities")


def zjtx(
    tmp_path: Path, *args: str, stdin: str = "", before: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZJTX_", "TELEGRAM_", "WECOM_"))}
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a child under a file-size limit must not leave cut .pyc files
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        preexec_fn=before,
        timeout=120,
        check=False,
    )


def one_line(result: subprocess.CompletedProcess[str], *words: str) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    line = lines[0]
    assert line.startswith("zjtx: "), line
    for word in words:
        assert word in line, line
    return line


def a_database(path: Path, answers: int = 3) -> None:
    store = SqliteStore(connect(path))
    from bot.service import Assistant
    from dialogs.engine import DialogEngine
    from dialogs.messages import Inbound

    bot = Assistant(store, DialogEngine(), lambda: __import__("datetime").date(2026, 11, 23))
    key = SessionKey("console", "local", "local")
    for text in ["/assess", *list(EXAMPLE_A_TYPED.values())[:answers]]:
        bot.handle_now(key, Inbound(text=text))
    store.close()


def no_permission_override() -> None:
    """In the child: even as root, the file permission bits hold (no CAP_DAC_OVERRIDE,
    CAP_DAC_READ_SEARCH, CAP_FOWNER after exec)."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2, 3):
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


# --- files that are not a usable database ---------------------------------------------------------


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    result = zjtx(
        tmp_path, "chat", "--jsonl", "--db", str(tmp_path / "nowhere" / "zjtx.db"), stdin="/start\n"
    )
    one_line(result, "folder", "does not exist")
    assert not (tmp_path / "nowhere").exists()


def test_a_directory_given_as_the_database_is_named(tmp_path: Path) -> None:
    one_line(zjtx(tmp_path, "leads", "export", "--db", str(tmp_path)), "is a folder")


def test_a_file_that_is_not_a_database_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "zjtx.db"
    garbage = b"these are not the pages you are looking for\n" * 200
    path.write_bytes(garbage)
    one_line(zjtx(tmp_path, "groups", "list", "--db", str(path)), "not a SQLite database")
    one_line(zjtx(tmp_path, "assessments", "export", "--db", str(path)), "not a SQLite database")
    assert path.read_bytes() == garbage


def test_a_database_of_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "zjtx.db"
    connect(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={len(MIGRATIONS) + 3}")
    conn.close()
    one_line(zjtx(tmp_path, "chat", "--jsonl", "--db", str(path), stdin="/start\n"), "newer version")
    one_line(zjtx(tmp_path, "leads", "export", "--db", str(path)), "newer version")


def test_an_unknown_migration_is_a_newer_version_too(tmp_path: Path) -> None:
    path = tmp_path / "zjtx.db"
    connect(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version=0")  # as a version before the number was kept would leave it
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('zjtx', 'm999_future', 'x')"
    )
    conn.commit()
    conn.close()
    one_line(zjtx(tmp_path, "groups", "list", "--db", str(path)), "newer version", "m999_future")


def test_a_read_only_export_refuses_a_database_that_needs_migrating(tmp_path: Path) -> None:
    path = tmp_path / "zjtx.db"
    old = sqlite3.connect(path)
    from sqlite_utils import Database

    migrations().apply(Database(old), stop_before=MIGRATIONS[-1].__name__)
    old.close()
    before = path.read_bytes()
    one_line(zjtx(tmp_path, "leads", "export", "--db", str(path)), "needs upgrading", "zjtx serve")
    assert path.read_bytes() == before  # not migrated by a read-only command


def test_a_database_from_before_the_version_number_is_brought_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "zjtx.db"
    old = sqlite3.connect(path)
    from sqlite_utils import Database

    migrations().apply(Database(old), stop_before=MIGRATIONS[-1].__name__)
    old.close()
    result = zjtx(tmp_path, "groups", "list", "--db", str(path))
    assert result.returncode == 0, result.stderr
    assert connect(path, read_only=True).row("PRAGMA user_version") == (len(MIGRATIONS),)


# --- read-only files --------------------------------------------------------------------------------


def test_a_read_only_database_is_exported_and_refuses_writes_in_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "zjtx.db"
    a_database(path)
    store = SqliteStore(connect(path))
    store.add_lead(SessionKey("console", "local", "local"), "join", "广州某科技", "张三", "13800138000")
    store.close()
    for name in ("zjtx.db-wal", "zjtx.db-shm"):
        assert not (folder / name).exists()  # closed cleanly: nothing beside the file
    path.chmod(0o444)
    folder.chmod(0o555)
    try:
        exported = zjtx(tmp_path, "leads", "export", "--db", str(path), before=no_permission_override)
        assert exported.returncode == 0, exported.stderr
        assert "广州某科技" in exported.stdout
        answers = zjtx(tmp_path, "assessments", "export", "--db", str(path), before=no_permission_override)
        assert answers.returncode == 0, answers.stderr
        before = path.read_bytes()
        chat = zjtx(
            tmp_path, "chat", "--jsonl", "--db", str(path), stdin="/restart\n", before=no_permission_override
        )
        one_line(chat, "may not write")
        assert path.read_bytes() == before
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)


# --- full disks ---------------------------------------------------------------------------------------


def test_a_disk_that_refuses_writes_mid_conversation_is_one_line_and_every_turn_is_whole(
    tmp_path: Path,
) -> None:
    path = tmp_path / "zjtx.db"
    connect(path).close()

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))  # the WAL can grow this far only

    result = zjtx(tmp_path, "chat", "--jsonl", "--db", str(path), stdin=ANSWERS * 3, before=small_files)
    one_line(result, "disk")
    answered = len(result.stdout.splitlines())
    assert answered > 0  # it failed part way, not at once
    store = SqliteStore(connect(path))
    assert store.db.row("PRAGMA integrity_check") == ("ok",)
    loaded = store.load(SessionKey("console", "local", "local"))
    assert not loaded.corrupt and loaded.rev >= 1  # the turns committed are all there, whole
    store.close()


def test_a_full_database_is_said_to_be_full_and_nothing_of_the_turn_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "zjtx.db"
    made = connect(path)
    with made.tx() as conn:  # an assessment filling its table's only page: the next needs a new one
        conn.execute(
            "INSERT INTO assessments (channel, chat_id, user_id, made_on, rules_version, answers, result, "
            "created_at) VALUES ('console', 'x', 'x', '2026-01-01', 'v', '{}', ?, 'now')",
            ["{" + " " * 3700 + "}"],
        )
    made.close()
    opened = db._open

    def no_more_pages(where: str, read_only: bool) -> sqlite3.Connection:
        conn = opened(where, read_only)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count={pages}")  # SQLITE_FULL once the file would grow
        return conn

    monkeypatch.setattr(db, "_open", no_more_pages)
    monkeypatch.setattr(sys, "stdin", _Bytes(ANSWERS + "确认\n" * 3))
    assert cli.main(["chat", "--jsonl", "--db", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "disk is full" in err[0] and "nothing was written" in err[0], err
    monkeypatch.undo()
    store = SqliteStore(connect(path))
    loaded = store.load(SessionKey("console", "local", "local"))
    assert (
        loaded.session.mode == "assess" and loaded.session.pending == "confirm"
    )  # the last turn: not at all
    assert [a.key.user_id for a in store.assessments()] == ["x"]  # the one that was there
    store.close()


class _Bytes:
    """Standard input with a ``buffer`` of bytes, as a pipe gives."""

    def __init__(self, text: str) -> None:
        import io

        self.buffer = io.BytesIO(text.encode("utf-8"))

    def isatty(self) -> bool:
        return False


# --- commands started together on a new file ---------------------------------------------------------


async def test_three_commands_started_together_on_a_new_file_all_succeed(tmp_path: Path) -> None:
    for round_ in range(5):  # the first version failed one round in ten or so
        path = tmp_path / f"new{round_}.db"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZJTX_")}
        env["PYTHONPATH"] = str(ROOT)
        started = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "groups",
                "add",
                "--db",
                str(path),
                "--name",
                f"群{n}",
                "--webhook",
                f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k{round_}-{n}",
                cwd=tmp_path,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            for n in range(3)
        ]
        outcomes = [await process.communicate() for process in started]
        codes = [process.returncode for process in started]
        assert codes == [0, 0, 0], [err.decode() for _, err in outcomes]
        found = sqlite3.connect(path).execute("SELECT count(*) FROM broadcast_subscriptions").fetchone()
        assert found == (3,)


def test_bytes_that_are_not_utf8_on_standard_input_give_valid_utf8_out(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZJTX_")}
    env |= {"PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1"}
    typed = b"\xff\xfe/start\n/assess\n\xc3\n1\xed\xa0\x80\n" + bytes(range(128, 256)) + b"\n"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--jsonl", "--db", str(tmp_path / "z.db")],
        input=typed,
        capture_output=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    lines = result.stdout.decode("utf-8").splitlines()  # strict: every byte written is UTF-8
    assert len(lines) >= 5 and all(json.loads(line) for line in lines)
