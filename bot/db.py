"""The assistant's one SQLite file: its connection, its transactions, its schema.

Every store (sessions, assessments and enquiries in :mod:`bot.store`; subscriptions, the
broadcast outbox and drafts in :mod:`bot.broadcast`) works on a :class:`Db` from
:func:`connect` and opens nothing of its own. One policy holds for every table:

- **WAL journal.** Readers never wait for the writer, and another process on the same
  file (a ``zjtx broadcast worker`` beside ``zjtx serve``) sees each commit at once.
- **synchronous=FULL.** A commit is on disk before it returns: an answer is stored before
  its reply goes out, and a broadcast part is claimed before it is sent, even across a
  power cut, not only a killed process. It costs an fsync per commit (bench/dialog.py
  shows what): the promises of docs/interfaces.md are worth it.
- **One connection per Db, every statement under one lock.** Threads may share a Db;
  the lock makes sure a read of one thread never runs inside another thread's
  transaction. The lock is re-entrant, so a store may read inside its own transaction.
- **Writes are BEGIN IMMEDIATE.** Two processes writing at once queue on SQLite's write
  lock (waiting up to ``BUSY_TIMEOUT_MS``) instead of failing half way through.
- **One unit of work, one commit.** A transaction opened inside another (on the same
  thread) is a savepoint of it: a turn, its replies and its inbox row's "done" are written
  by three stores and committed once. ``after_commit`` runs a callback only once the
  outermost transaction has committed (the outbox is told of new replies then).
- **Errors an operator can act on.** :func:`connect` raises :class:`DatabaseError` with one
  line saying what is wrong and what to do (a missing folder, a directory, a file that is
  not a database, a read-only file, a full disk, a newer version's file); :func:`describe`
  words any sqlite3 error met later the same way.

The schema is :data:`MIGRATIONS`, applied in order by sqlite-utils and recorded in
``_sqlite_migrations`` (set ``zjtx``), each at most once, all in one exclusive transaction
that a second process opening the same new file waits for; ``PRAGMA user_version`` then
holds how many there are. A file whose version is ahead, or that records a migration this
version does not know, is refused. ``connect(path, read_only=True)`` writes nothing (not
even a migration) and refuses a file whose migrations are behind. To add a table (a later store):
write a function ``mNNN_what(db)`` below that creates it, append it to MIGRATIONS, and
give the store's class a ``Db`` argument; never change a migration that has shipped.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database, Migrations

__all__ = [
    "BUSY_TIMEOUT_MS",
    "MIGRATIONS",
    "MIGRATION_SET",
    "DatabaseError",
    "Db",
    "connect",
    "describe",
    "migrations",
]

MIGRATION_SET = "zjtx"
BUSY_TIMEOUT_MS = 10_000
MEMORY = ":memory:"

Row = tuple[Any, ...]


class DatabaseError(sqlite3.DatabaseError):
    """The database cannot be used. The message is one line for an operator: what is wrong
    with which file, and what to do about it."""


class Db:
    """One connection to the assistant's SQLite file, with the policy above.

    Use :func:`connect`, which also brings the schema up to date (or, ``read_only``, checks
    that it is)."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = str(path)
        self.read_only = read_only
        self._lock = threading.RLock()
        self._depth = 0  # nesting of tx() blocks (only the thread holding the lock touches it)
        self._after: list[Callable[[], None]] = []
        # an in-memory database has no file to flock: its one worker is chosen by this lock
        self.memory_lease = threading.Lock()
        self._memory_locks: dict[str, threading.Lock] = {}
        conn = _open(self.path, read_only)
        self.database = Database(conn)  # sqlite-utils, for migrations and introspection
        try:
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            if not read_only:
                if not self.in_memory:
                    _wal(conn)
                conn.execute("PRAGMA synchronous=FULL")
        except BaseException:
            conn.close()
            raise

    def memory_lock(self, name: str) -> threading.Lock:
        """The in-process lock that stands for the lock file ``name`` of an in-memory database."""
        with self._lock:
            return self._memory_locks.setdefault(name, threading.Lock())

    @property
    def in_memory(self) -> bool:
        return self.path == MEMORY

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE … COMMIT), rolled back if the block raises.

        A tx() inside another one (on the same thread) joins it as a savepoint: its writes
        are committed with the outer transaction, or rolled back alone if its block raises.
        So a unit of work (a turn and everything it causes) is one commit however many stores
        write in it. Never await inside a transaction: other tasks of the thread would join it."""
        conn = self.database.conn
        with self._lock:
            if self._depth:
                name = f"tx{self._depth}"
                conn.execute(f"SAVEPOINT {name}")
                self._depth += 1
                try:
                    yield conn
                except BaseException:
                    self._depth -= 1
                    if conn.in_transaction:
                        conn.execute(f"ROLLBACK TO {name}")
                        conn.execute(f"RELEASE {name}")
                    raise
                self._depth -= 1
                conn.execute(f"RELEASE {name}")
                return
            conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                self._depth = 0
                self._after.clear()
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            self._depth = 0
            after, self._after = self._after, []
        for callback in after:
            callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the transaction in progress is committed (never if it is
        rolled back); at once outside a transaction."""
        with self._lock:
            if self._depth:
                self._after.append(callback)
                return
        callback()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Every row a query gives (read under the lock, so never inside another thread's write)."""
        with self._lock:
            return list(self.database.conn.execute(sql, list(params)).fetchall())

    def row(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row a query gives, or None."""
        with self._lock:
            found: Row | None = self.database.conn.execute(sql, list(params)).fetchone()
            return found

    def ping(self) -> None:
        """Read the schema without writing anything. Raises sqlite3.Error when the file is unusable."""
        self.row("SELECT count(*) FROM sqlite_master")

    def close(self) -> None:
        with self._lock:
            self.database.close()


def connect(path: str | Path, *, read_only: bool = False) -> Db:
    """Open the SQLite file at ``path`` (``":memory:"`` for a throwaway one).

    Writable (the default): create the file if need be and apply the pending migrations,
    under an exclusive lock that a second process waits for (up to the busy timeout), so
    commands started together on a new file never collide. ``read_only``: open without
    writing anything, not even a migration; the schema must be up to date.

    Raises :class:`DatabaseError` (one line saying what is wrong and what to do) for a
    folder that does not exist, a directory, a file that is not a database, a file this
    process may not write (unless ``read_only``), a full disk, a database of a newer version
    of the assistant, or (``read_only``) one that needs migrating first."""
    where = str(path)
    if where != MEMORY:
        _check_path(Path(where), read_only)
    try:
        db = Db(where, read_only=read_only)
    except sqlite3.Error as exc:
        raise DatabaseError(describe(exc, where)) from exc
    try:
        with db._lock:
            if read_only:
                _check_schema(db.database, where, read_only=True)
            else:
                _migrate(db, where)
    except sqlite3.Error as exc:
        db.close()
        raise DatabaseError(describe(exc, where)) from exc
    except BaseException:
        db.close()
        raise
    return db


def describe(exc: BaseException, path: str) -> str:
    """One line for an operator about an error ``exc`` met on the database at ``path``."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    if isinstance(exc, DatabaseError):
        return str(exc)
    if name.startswith("SQLITE_FULL") or "disk is full" in text:
        return (
            f"database {path}: the disk is full; nothing was written. "
            "Free some space and run the command again."
        )
    if name.startswith("SQLITE_READONLY") or "readonly" in text or "read-only" in text:
        return (
            f"database {path}: this process may not write it (read-only file, folder or mount). "
            "Give the process write access to the file and its folder, or use a read-only command."
        )
    if name.startswith("SQLITE_NOTADB") or "not a database" in text:
        return (
            f"database {path}: the file is not a SQLite database. "
            "Point ZJTX_DB (or --db) at the assistant's database."
        )
    if name.startswith("SQLITE_CORRUPT") or "malformed" in text:
        return (
            f"database {path}: the file is damaged. "
            "Restore it from a backup (or move it away to start empty)."
        )
    if name.startswith("SQLITE_BUSY") or "locked" in text:
        return f"database {path}: another process kept it locked too long. Try again once it is done."
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        return f"database {path}: cannot open the file. Check that its folder exists and that it is a file."
    if name.startswith("SQLITE_IOERR") or "i/o error" in text:
        return f"database {path}: the disk failed to read or write ({exc}). Check the disk, then run again."
    return f"database {path}: {exc}"


# ---------------------------------------------------------------- opening, checking, migrating


def _check_path(path: Path, read_only: bool) -> None:
    if path.is_dir():
        raise DatabaseError(
            f"database {path}: that is a folder. "
            f"Set ZJTX_DB (or --db) to a file inside it, e.g. {path / 'zjtx.db'}."
        )
    folder = path.parent
    if not folder.is_dir():
        raise DatabaseError(
            f"database {path}: the folder {folder} does not exist. "
            "Create it, or point ZJTX_DB (or --db) elsewhere."
        )
    if read_only and not path.exists():
        raise DatabaseError(
            f"database {path}: there is no such file. Point ZJTX_DB (or --db) at the assistant's database."
        )


def _open(path: str, read_only: bool) -> sqlite3.Connection:
    timeout = BUSY_TIMEOUT_MS / 1000
    if not read_only:
        return sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=timeout)
    uri = Path(path).resolve().as_uri()
    conn = sqlite3.connect(
        f"{uri}?mode=ro", uri=True, check_same_thread=False, isolation_level=None, timeout=timeout
    )
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        # A WAL file in a folder this process cannot write, with no -shm beside it: nobody
        # can be writing it then, so it is read as it lies on disk.
        conn.close()
        return sqlite3.connect(
            f"{uri}?mode=ro&immutable=1", uri=True, check_same_thread=False, isolation_level=None
        )


def _wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL (a setting kept in the file). Several processes opening a new file at
    once may find it locked for a moment: wait, up to the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL").fetchone()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _known() -> list[str]:
    return [step.__name__ for step in MIGRATIONS]


def _applied(database: Database) -> list[str]:
    if not database["_sqlite_migrations"].exists():
        return []
    return [
        row[0]
        for row in database.conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set=? ORDER BY rowid", [MIGRATION_SET]
        ).fetchall()
    ]


def _check_schema(database: Database, path: str, *, read_only: bool) -> bool:
    """True when the schema is this version's; False when migrations are pending (allowed
    only when not ``read_only``). Raises DatabaseError for a newer version's database."""
    version = database.conn.execute("PRAGMA user_version").fetchone()[0]
    known = _known()
    if version > len(known):
        raise DatabaseError(_newer(path, f"schema version {version}, this version knows {len(known)}"))
    if version == len(known):
        return True
    applied = _applied(database)
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise DatabaseError(_newer(path, f"migration {unknown[0]} is unknown here"))
    if set(applied) == set(known):
        return True  # a file from before the version number was kept
    if read_only:
        raise DatabaseError(
            f"database {path}: it was written by an older version and needs upgrading "
            f"({len(known) - len(applied)} migrations pending), which a read-only command does not do. "
            "Run any other zjtx command (zjtx serve) on it once with write access."
        )
    return False


def _newer(path: str, detail: str) -> str:
    return (
        f"database {path}: it was written by a newer version of the assistant ({detail}). "
        "Upgrade this installation, or point ZJTX_DB (or --db) at another file."
    )


def _migrate(db: Db, path: str) -> None:
    """Apply the pending migrations in one exclusive transaction: a second process opening
    the same new file waits for it (busy timeout), then finds nothing left to do."""
    database = db.database
    conn = database.conn
    if conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS):
        return
    conn.execute("BEGIN EXCLUSIVE")
    try:
        if not _check_schema(database, path, read_only=False):  # another process may have just done it
            migrations().apply(database)  # each step a savepoint inside this transaction
        conn.execute(f"PRAGMA user_version={len(MIGRATIONS)}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


# ---------------------------------------------------------------- the schema, in order


def m001_sessions_and_assessments(db: Database) -> None:
    db["sessions"].create(  # type: ignore[union-attr]
        {"channel": str, "chat_id": str, "user_id": str, "data": str, "rev": int, "updated_at": str},
        pk=("channel", "chat_id", "user_id"),
    )
    db["assessments"].create(  # type: ignore[union-attr]
        {
            "id": int,
            "channel": str,
            "chat_id": str,
            "user_id": str,
            "made_on": str,
            "rules_version": str,
            "answers": str,
            "result": str,
            "created_at": str,
        },
        pk="id",
    )
    db["assessments"].create_index(["channel", "user_id", "id"])  # type: ignore[union-attr]
    db["seen"].create({"scope": str, "key": str, "at": str}, pk=("scope", "key"))  # type: ignore[union-attr]


def m002_leads(db: Database) -> None:
    db["leads"].create(  # type: ignore[union-attr]
        {
            "id": int,
            "channel": str,
            "chat_id": str,
            "user_id": str,
            "kind": str,
            "company": str,
            "contact": str,
            "phone": str,
            "score": int,
            "tier": str,
            "assessment_id": int,
            "created_at": str,
            "handled_at": str,
            "handled_by": str,
        },
        pk="id",
    )
    db["leads"].create_index(["handled_at", "id"])  # type: ignore[union-attr]


def m003_broadcasts(db: Database) -> None:
    """Broadcasts to group chats: subscriptions, the audit trail, the durable outbox, drafts.

    Times the worker compares are Unix seconds (REAL); see bot/broadcast/outbox.py."""
    db["broadcast_subscriptions"].create(  # type: ignore[union-attr]
        {
            "id": int,
            "channel": str,
            "chat_id": str,
            "kind": str,
            "name": str,
            "topics": str,
            "webhook_url": str,
            "active": int,
            "inactive_reason": str,
            "changed_at": float,
            "added_by": str,
            "created_at": float,
        },
        pk="id",
        not_null={"channel", "chat_id", "kind", "name", "topics", "active"},
        defaults={"topics": "[]", "active": 1},
    )
    db["broadcast_subscriptions"].create_index(["channel", "chat_id"], unique=True)  # type: ignore[union-attr]
    db["broadcasts"].create(  # type: ignore[union-attr]
        {
            "id": int,
            "created_by": str,
            "created_at": float,
            "source": str,
            "topics": str,
            "image": bytes,
            "telegram_html": str,
            "telegram_visible": int,
            "wecom_markdown": str,
            "plain": str,
            "telegram_file_id": str,
            "send_at": float,
            "state": str,
            "started_at": float,
            "finished_at": float,
            "cancelled_by": str,
        },
        pk="id",
        not_null={"created_by", "created_at", "source", "topics", "send_at", "state"},
    )
    db["broadcasts"].create_index(["state", "send_at"])  # type: ignore[union-attr]
    db["broadcast_outbox"].create(  # type: ignore[union-attr]
        {
            "id": int,
            "broadcast_id": int,
            "subscription_id": int,
            "channel": str,
            "kind": str,
            "target": str,
            "state": str,
            "parts_total": int,
            "parts_done": int,
            "attempts": int,
            "attempt_id": str,
            "not_before": float,
            "last_at": float,
            "message_ids": str,
            "error": str,
        },
        pk="id",
        not_null={"broadcast_id", "subscription_id", "channel", "kind", "state", "parts_total"},
        defaults={"parts_done": 0, "attempts": 0, "not_before": 0.0, "message_ids": "[]"},
        foreign_keys=[("broadcast_id", "broadcasts", "id")],
    )
    db["broadcast_outbox"].create_index(["broadcast_id", "subscription_id"], unique=True)  # type: ignore[union-attr]
    db["broadcast_outbox"].create_index(["state", "id"])  # type: ignore[union-attr]
    db["broadcast_outbox"].create_index(["broadcast_id", "state"])  # type: ignore[union-attr]
    db["broadcast_outbox"].create_index(["last_at"])  # type: ignore[union-attr]
    db["broadcast_drafts"].create(  # type: ignore[union-attr]
        {"channel": str, "chat_id": str, "user_id": str, "data": str, "image": bytes, "updated_at": float},
        pk=("channel", "chat_id", "user_id"),
    )


def m004_broadcast_outbox_by_channel(db: Database) -> None:
    """The worker fills each platform's queue separately."""
    db["broadcast_outbox"].create_index(["state", "channel", "id"])  # type: ignore[union-attr]


def m005_broadcast_topic_ids(db: Database) -> None:
    """Broadcast topics are kept as the ids of rules/data/topics.toml (their labels are in the
    catalogs): the three topics the first version stored by their Chinese names become ids.
    A topic staff added themselves stays as typed."""
    ids = {"政策": "policy", "活动": "event", "申报通知": "call"}  # what version 1 stored
    conn = db.conn
    for table in ("broadcast_subscriptions", "broadcasts"):
        for row_id, raw in conn.execute(f"SELECT id, topics FROM {table}").fetchall():
            topics = json.loads(raw or "[]")
            renamed = [ids.get(t, t) for t in topics]
            if renamed != topics:
                conn.execute(
                    f"UPDATE {table} SET topics=? WHERE id=?",
                    [json.dumps(renamed, ensure_ascii=False), row_id],
                )


def m006_console(db: Database) -> None:
    """The staff console on the web (bot/web): one-time login links and console sessions (only
    hashes of their secrets), the audit log, staff notes on enquiries; the facts of an
    assessment its lists filter on (generated from the stored JSON, indexed), and a count per
    day, channel and fact that triggers keep, so that statistics add up a few hundred rows
    instead of reading every assessment."""
    db["console_links"].create(  # type: ignore[union-attr]
        {"token_hash": str, "staff_id": str, "created_at": float, "expires_at": float, "used_at": float},
        pk="token_hash",
        not_null={"staff_id", "created_at", "expires_at"},
    )
    db["console_sessions"].create(  # type: ignore[union-attr]
        {"id_hash": str, "staff_id": str, "created_at": float, "seen_at": float, "ended_at": float},
        pk="id_hash",
        not_null={"staff_id", "created_at", "seen_at"},
    )
    db["console_audit"].create(  # type: ignore[union-attr]
        {"id": int, "at": float, "who": str, "action": str, "subject": str, "detail": str},
        pk="id",
        not_null={"at", "who", "action"},
    )
    db["console_audit"].create_index(["at"])  # type: ignore[union-attr]
    db["lead_notes"].create(  # type: ignore[union-attr]
        {"id": int, "lead_id": int, "at": float, "by": str, "text": str},
        pk="id",
        not_null={"lead_id", "at", "by", "text"},
    )
    db["lead_notes"].create_index(["lead_id", "id"])  # type: ignore[union-attr]
    conn = db.conn
    # /forget deletes a person's enquiries: the notes about them go with them
    conn.execute(
        "CREATE TRIGGER lead_notes_forget AFTER DELETE ON leads BEGIN "
        "DELETE FROM lead_notes WHERE lead_id = OLD.id; END"
    )
    facts = {
        "score": "INTEGER GENERATED ALWAYS AS (json_extract(result, '$.score')) VIRTUAL",
        "eligible": "INTEGER GENERATED ALWAYS AS (json_extract(result, '$.eligible')) VIRTUAL",
        "tier": "TEXT GENERATED ALWAYS AS (json_extract(result, '$.tier')) VIRTUAL",
        "district": "TEXT GENERATED ALWAYS AS (json_extract(answers, '$.district')) VIRTUAL",
    }
    for name, definition in facts.items():
        conn.execute(f"ALTER TABLE assessments ADD COLUMN {name} {definition}")
    listed = (
        ("made_on", "id"), ("district", "id"), ("tier", "id"), ("eligible", "id"), ("channel", "id"),
        ("district", "tier", "eligible", "id"),  # the facts filtered together
    )  # fmt: skip
    for columns in listed:
        conn.execute(
            f"CREATE INDEX idx_assessments_{'_'.join(columns)} ON assessments ({', '.join(columns)})"
        )
    conn.execute(  # without rowid: a range of days is read from the key's b-tree alone
        "CREATE TABLE assessment_counts (dimension TEXT NOT NULL, day TEXT NOT NULL, channel TEXT NOT NULL, "
        "value TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (dimension, day, channel, value)) WITHOUT ROWID"
    )
    values = {  # one count per fact; '' when the fact is missing (a service institution)
        "finished": "''",
        "score": "coalesce(CAST({row}.score / 10 AS TEXT), '')",
        "eligible": "coalesce(CAST({row}.eligible AS TEXT), '')",
        "tier": "coalesce({row}.tier, '')",
        "district": "coalesce({row}.district, '')",
    }
    added = ", ".join(
        f"('{d}', NEW.made_on, NEW.channel, {v.format(row='NEW')}, 1)" for d, v in values.items()
    )
    conn.execute(
        "CREATE TRIGGER assessment_counts_add AFTER INSERT ON assessments BEGIN "
        f"INSERT INTO assessment_counts (dimension, day, channel, value, n) VALUES {added} "
        "ON CONFLICT(dimension, day, channel, value) DO UPDATE SET n = n + 1; END"
    )
    removed = " ".join(
        f"UPDATE assessment_counts SET n = n - 1 WHERE dimension = '{d}' AND day = OLD.made_on "
        f"AND channel = OLD.channel AND value = {v.format(row='OLD')};"
        for d, v in values.items()
    )
    conn.execute(f"CREATE TRIGGER assessment_counts_remove AFTER DELETE ON assessments BEGIN {removed} END")
    for dimension, value in values.items():
        conn.execute(
            "INSERT INTO assessment_counts (dimension, day, channel, value, n) "
            f"SELECT '{dimension}', made_on, channel, {value.format(row='assessments')}, count(*) "
            "FROM assessments GROUP BY 2, 3, 4"
        )


def m007_wechat(db: Database) -> None:
    """The WeChat Official Account: who may still be sent a customer-service message (the
    platform allows them only for a while after the person's last message or event, a few
    per message), who unsubscribed, and the access token a restart keeps using.

    Times are Unix seconds (REAL); see bot/channels/wechat/store.py."""
    db["wechat_followers"].create(  # type: ignore[union-attr]
        {
            "openid": str,
            "subscribed": int,
            "last_message_at": float,
            "message_sends": int,
            "last_event_at": float,
            "event_sends": int,
            "dropped": int,
            "changed_at": float,
        },
        pk="openid",
        not_null={"subscribed", "message_sends", "event_sends", "dropped"},
        defaults={"subscribed": 1, "message_sends": 0, "event_sends": 0, "dropped": 0},
    )
    db["wechat_tokens"].create(  # type: ignore[union-attr]
        {"app_id": str, "access_token": str, "expires_at": float, "fetched_at": float},
        pk="app_id",
        not_null={"access_token", "expires_at"},
    )


def m008_document_links(db: Database) -> None:
    """Files a person opens through a signed, expiring link (the PDF report on channels whose
    messages cannot carry a file); see bot/links.py."""
    db["document_links"].create(  # type: ignore[union-attr]
        {
            "id": str,
            "channel": str,
            "user_id": str,
            "filename": str,
            "mime": str,
            "data": bytes,
            "created_at": float,
            "expires_at": float,
        },
        pk="id",
        not_null={"channel", "user_id", "filename", "mime", "data", "expires_at"},
    )
    db["document_links"].create_index(["expires_at"])  # type: ignore[union-attr]
    db["document_links"].create_index(["channel", "user_id"])  # type: ignore[union-attr]


def m009_reminders_and_questionnaire_events(db: Database) -> None:
    """Reminders (bot/reminders) and the questionnaire's event log for the staff statistics;
    the ranges an assessment's answers were given as.

    ``reminders``: at most one of each kind per conversation, written in the transaction
    that saves the turn asking for it, moved pending → sending → sent | dropped | failed |
    uncertain by the scheduler with the broadcast outbox's bookkeeping; times are Unix
    seconds. ``questionnaire_events``: one row per question asked, answered or skipped and
    per finish or abandonment of one attempt, never the answer; ``day`` is the Beijing date
    the console's statistics group by."""
    db["reminders"].create(  # type: ignore[union-attr]
        {
            "id": int,
            "channel": str,
            "chat_id": str,
            "user_id": str,
            "kind": str,
            "pause": str,
            "question": str,
            "lang": str,
            "due_at": float,
            "state": str,
            "attempt_id": str,
            "attempts": int,
            "created_at": float,
            "last_at": float,
            "error": str,
        },
        pk="id",
        not_null={"channel", "chat_id", "user_id", "kind", "pause", "lang", "due_at", "state", "created_at"},
        defaults={"attempts": 0},
    )
    db["reminders"].create_index(["channel", "chat_id", "user_id", "kind"], unique=True)  # type: ignore[union-attr]
    db["reminders"].create_index(["state", "due_at"])  # type: ignore[union-attr]
    db["reminders"].create_index(["channel", "user_id"])  # type: ignore[union-attr]
    db["questionnaire_events"].create(  # type: ignore[union-attr]
        {
            "id": int,
            "at": float,
            "day": str,
            "kind": str,
            "question": str,
            "attempt": str,
            "channel": str,
            "chat_id": str,
            "user_id": str,
        },
        pk="id",
        not_null={"at", "day", "kind", "attempt", "channel", "chat_id", "user_id"},
    )
    # the statistics read (kind, day range[, channel]) and group by attempt and question: all in the index
    db["questionnaire_events"].create_index(["kind", "day", "channel", "attempt", "question"])  # type: ignore[union-attr]
    db["questionnaire_events"].create_index(["channel", "user_id"])  # type: ignore[union-attr]  # /forget
    # the answers given as a range or a bound, as given (the answers hold their cautious end)
    db.conn.execute("ALTER TABLE assessments ADD COLUMN readings TEXT")


def m010_tickets(db: Database) -> None:
    """The staff desk (bot/tickets): tickets handed to staff, their messages, the staff-chat
    posts that carry them, and the knowledge-base entries staff made from their answers.

    One open ticket per person (a partial unique index); the sweep finds reminders and
    idle tickets by indexed due times (Unix seconds, REAL)."""
    conn = db.conn
    conn.execute(
        "CREATE TABLE tickets (id INTEGER PRIMARY KEY, channel TEXT NOT NULL, chat_id TEXT NOT NULL, "
        "user_id TEXT NOT NULL, name TEXT, lang TEXT NOT NULL, question TEXT NOT NULL, reason TEXT, "
        "topic TEXT, recent TEXT NOT NULL DEFAULT '[]', score INTEGER, tier TEXT, assessment_id INTEGER, "
        "state TEXT NOT NULL, opened_at REAL NOT NULL, in_hours INTEGER NOT NULL DEFAULT 1, "
        "claimed_by TEXT, claimed_name TEXT, claimed_at REAL, first_reply_at REAL, answered_by TEXT, "
        "answered_name TEXT, answered_at REAL, last_person_at REAL, closed_at REAL, closed_by TEXT, "
        "close_reason TEXT, staff_chat TEXT, notice_id TEXT, thread TEXT, remind_at REAL, "
        "reminded_at REAL, close_at REAL, changed_at REAL NOT NULL)"
    )
    indexes = (
        "CREATE UNIQUE INDEX tickets_one_open ON tickets (channel, user_id) WHERE state != 'closed'",
        "CREATE INDEX tickets_person ON tickets (channel, user_id, id)",
        "CREATE INDEX tickets_state ON tickets (state, id)",
        "CREATE INDEX tickets_opened ON tickets (opened_at)",
        "CREATE INDEX tickets_remind ON tickets (remind_at) WHERE remind_at IS NOT NULL",
        "CREATE INDEX tickets_close ON tickets (close_at) WHERE close_at IS NOT NULL",
        "CREATE INDEX tickets_thread ON tickets (staff_chat, thread) WHERE thread IS NOT NULL",
        "CREATE INDEX tickets_changed ON tickets (changed_at)",
        "CREATE INDEX tickets_first_reply ON tickets (first_reply_at) WHERE first_reply_at IS NOT NULL",
        "CREATE INDEX tickets_closed ON tickets (closed_at) WHERE closed_at IS NOT NULL",
    )
    for statement in indexes:
        conn.execute(statement)
    conn.execute(
        "CREATE TABLE ticket_messages (id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL "
        "REFERENCES tickets(id), at REAL NOT NULL, direction TEXT NOT NULL, author TEXT NOT NULL, "
        "author_name TEXT, text TEXT NOT NULL, via TEXT, delivered INTEGER)"
    )
    conn.execute("CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, id)")
    conn.execute(
        "CREATE TABLE ticket_posts (staff_chat TEXT NOT NULL, message_id TEXT NOT NULL, "
        "ticket_id INTEGER NOT NULL, PRIMARY KEY (staff_chat, message_id)) WITHOUT ROWID"
    )
    conn.execute("CREATE INDEX ticket_posts_ticket ON ticket_posts (ticket_id)")
    conn.execute(
        "CREATE TABLE staff_faq (id TEXT PRIMARY KEY, ticket_id INTEGER, topic TEXT NOT NULL, "
        "question_zh TEXT, answer_zh TEXT, question_en TEXT, answer_en TEXT, asks TEXT NOT NULL "
        "DEFAULT '[]', made_by TEXT NOT NULL, made_by_name TEXT, made_on TEXT NOT NULL, "
        "created_at REAL NOT NULL, changed_at REAL NOT NULL, changed_by TEXT)"
    )
    # /forget deletes a person's tickets: their messages and posts go with them
    conn.execute(
        "CREATE TRIGGER tickets_forget AFTER DELETE ON tickets BEGIN "
        "DELETE FROM ticket_messages WHERE ticket_id = OLD.id; "
        "DELETE FROM ticket_posts WHERE ticket_id = OLD.id; "
        "UPDATE staff_faq SET ticket_id = NULL WHERE ticket_id = OLD.id; END"
    )


def m011_inbox_replies_quarantine(db: Database) -> None:
    """The durable inbox (every platform update, stored before it is acknowledged), the reply
    outbox (every reply and staff notice, stored with the turn, sent after it), and the
    sessions a version could not read, kept aside. Times are Unix seconds (REAL); see
    bot/inbox.py and bot/replies.py."""
    db["inbox"].create(  # type: ignore[union-attr]
        {
            "id": int,
            "channel": str,
            "platform_id": str,
            "conversation": str,
            "user_id": str,
            "payload": str,
            "state": str,
            "attempts": int,
            "error": str,
            "received_at": float,
            "done_at": float,
        },
        pk="id",
        not_null={"channel", "platform_id", "conversation", "payload", "state", "received_at"},
        defaults={"state": "pending", "attempts": 0},
    )
    db["inbox"].create_index(["channel", "platform_id"], unique=True)  # type: ignore[union-attr]
    db["inbox"].create_index(["state", "id"])  # type: ignore[union-attr]
    db["inbox"].create_index(["user_id"])  # type: ignore[union-attr]
    db["inbox"].create_index(["done_at"])  # type: ignore[union-attr]
    db["reply_outbox"].create(  # type: ignore[union-attr]
        {
            "id": int,
            "channel": str,
            "chat_id": str,
            "user_id": str,
            "kind": str,
            "inbox_id": int,
            "lang": str,
            "messages": str,
            "extra": str,
            "state": str,
            "parts_done": int,
            "attempts": int,
            "attempt_id": str,
            "erase": int,
            "created_at": float,
            "last_at": float,
            "sent_at": float,
            "error": str,
        },
        pk="id",
        not_null={"channel", "chat_id", "kind", "messages", "state", "created_at"},
        defaults={"state": "pending", "parts_done": 0, "attempts": 0, "erase": 0, "extra": "{}"},
    )
    db["reply_outbox"].create_index(["state", "id"])  # type: ignore[union-attr]
    db["reply_outbox"].create_index(["user_id"])  # type: ignore[union-attr]
    db["reply_outbox"].create_index(["sent_at"])  # type: ignore[union-attr]
    db["sessions_quarantine"].create(  # type: ignore[union-attr]
        {
            "id": int,
            "channel": str,
            "chat_id": str,
            "user_id": str,
            "data": str,
            "rev": int,
            "reason": str,
            "kept_at": str,
        },
        pk="id",
    )
    db["sessions_quarantine"].create_index(["channel", "user_id"])  # type: ignore[union-attr]


# Every migration, oldest first. Append only: a shipped database has run the ones before.
MIGRATIONS: tuple[Callable[[Database], None], ...] = (
    m001_sessions_and_assessments,
    m002_leads,
    m003_broadcasts,
    m004_broadcast_outbox_by_channel,
    m005_broadcast_topic_ids,
    m006_console,
    m007_wechat,
    m008_document_links,
    m009_reminders_and_questionnaire_events,
    m010_tickets,
    m011_inbox_replies_quarantine,
)


def migrations() -> Migrations:
    """The sqlite-utils migration set of :data:`MIGRATIONS` (names are the function names)."""
    made = Migrations(MIGRATION_SET)
    for step in MIGRATIONS:
        made()(step)
    return made
