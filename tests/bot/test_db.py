"""The one database module: its durability policy, its read-only probe, its migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot.db import MIGRATIONS, connect, migrations


def test_every_connection_is_wal_with_full_synchronous_commits(tmp_path: Path) -> None:
    db = connect(tmp_path / "zjtx.db")
    assert db.row("PRAGMA journal_mode") == ("wal",)
    assert db.row("PRAGMA synchronous") == (2,)  # FULL
    assert db.row("PRAGMA busy_timeout") == (10_000,)
    db.close()


def test_the_probe_reads_and_writes_nothing(tmp_path: Path) -> None:
    db = connect(tmp_path / "zjtx.db")
    before = db.database.conn.total_changes
    db.ping()
    assert db.database.conn.total_changes == before
    db.close()


def test_the_probe_fails_once_the_database_is_closed(tmp_path: Path) -> None:
    db = connect(tmp_path / "zjtx.db")
    db.close()
    with pytest.raises(sqlite3.ProgrammingError):
        db.ping()


def test_a_file_that_is_not_a_database_is_refused_at_connect(tmp_path: Path) -> None:
    path = tmp_path / "zjtx.db"
    path.write_bytes(b"not a database, " * 100)
    with pytest.raises(sqlite3.DatabaseError):
        connect(path)


def test_a_transaction_that_raises_leaves_nothing(tmp_path: Path) -> None:
    db = connect(tmp_path / "zjtx.db")
    with pytest.raises(RuntimeError), db.tx() as conn:
        conn.execute("INSERT INTO seen (scope, key, at) VALUES ('s', 'k', 'now')")
        raise RuntimeError("half way")
    assert db.rows("SELECT * FROM seen") == []
    db.close()


def test_the_migrations_are_the_explicit_list_in_order() -> None:
    names = [m.name for m in migrations().pending(Database(memory=True))]
    assert names == [step.__name__ for step in MIGRATIONS]
    assert names[:4] == [
        "m001_sessions_and_assessments",
        "m002_leads",
        "m003_broadcasts",
        "m004_broadcast_outbox_by_channel",
    ]  # shipped names: a renamed one would run again on every existing file


def test_an_in_memory_database_is_migrated_too() -> None:
    db = connect(":memory:")
    tables = {row[0] for row in db.rows("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"sessions", "assessments", "seen", "leads", "broadcast_outbox"} <= tables
    db.close()


def test_topics_stored_by_their_chinese_names_become_ids(tmp_path: Path) -> None:
    path = tmp_path / "zjtx.db"
    old = Database(sqlite3.connect(path))
    migrations().apply(old, stop_before="m005_broadcast_topic_ids")  # a file of the first version
    old["broadcast_subscriptions"].insert(  # type: ignore[union-attr]
        {"channel": "telegram", "chat_id": "1", "kind": "private", "name": "p", "topics": '["政策", "沙龙"]'}
    )
    old["broadcasts"].insert(  # type: ignore[union-attr]
        {
            "created_by": "t",
            "created_at": 0,
            "source": "s",
            "topics": '["活动", "申报通知"]',
            "send_at": 0,
            "state": "done",
        }
    )
    old.close()
    db = connect(path)
    assert db.rows("SELECT topics FROM broadcast_subscriptions") == [
        ('["policy", "沙龙"]',)
    ]  # staff's own kept
    assert db.rows("SELECT topics FROM broadcasts") == [('["event", "call"]',)]
    db.close()


def test_a_transaction_inside_another_joins_it_and_rolls_back_alone(tmp_path: Path) -> None:
    db = connect(tmp_path / "zjtx.db")
    with db.tx() as conn:
        conn.execute("INSERT INTO seen (scope, key, at) VALUES ('s', 'outer', 'now')")
        with pytest.raises(RuntimeError), db.tx() as inner:
            inner.execute("INSERT INTO seen (scope, key, at) VALUES ('s', 'inner', 'now')")
            raise RuntimeError("the inner block fails")
        with db.tx() as inner:
            inner.execute("INSERT INTO seen (scope, key, at) VALUES ('s', 'kept', 'now')")
        assert db.in_transaction
    assert [r[0] for r in db.rows("SELECT key FROM seen ORDER BY key")] == ["kept", "outer"]
    db.close()


def test_after_commit_runs_once_committed_and_never_after_a_rollback(tmp_path: Path) -> None:
    db = connect(tmp_path / "zjtx.db")
    ran: list[str] = []
    with db.tx():
        db.after_commit(lambda: ran.append("committed"))
        assert ran == []
    assert ran == ["committed"]
    with pytest.raises(RuntimeError), db.tx():
        db.after_commit(lambda: ran.append("rolled back"))
        raise RuntimeError
    db.after_commit(lambda: ran.append("outside"))
    assert ran == ["committed", "outside"]


def test_migration_names_are_unique_and_numbered_in_order() -> None:
    names = [step.__name__ for step in MIGRATIONS]
    assert len(set(names)) == len(names)
    numbers = [int(name[1:4]) for name in names]
    assert numbers == list(range(1, len(names) + 1))


# before the console, before WeChat, and a file of the version before the inbox (m001–m010)
@pytest.mark.parametrize("made_before", ["m006_console", "m007_wechat", "m011_inbox_replies_quarantine"])
def test_a_file_of_an_earlier_version_upgrades_to_every_table(tmp_path: Path, made_before: str) -> None:
    path = tmp_path / "zjtx.db"
    old = Database(sqlite3.connect(path))
    migrations().apply(old, stop_before=made_before)
    old.close()
    db = connect(path)
    tables = {row[0] for row in db.rows("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"console_links", "wechat_followers", "wechat_tokens", "document_links"} <= tables
    assert {
        "reminders",
        "questionnaire_events",
        "tickets",
        "inbox",
        "reply_outbox",
        "sessions_quarantine",
    } <= tables
    applied = db.rows("SELECT name FROM _sqlite_migrations WHERE migration_set = 'zjtx' ORDER BY id")
    assert [name for (name,) in applied] == [step.__name__ for step in MIGRATIONS]
    db.close()
