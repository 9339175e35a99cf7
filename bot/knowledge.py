"""The knowledge base as it runs: the entries written from the seeds, and those staff made.

存为常见问题 turns a ticket's question and the staff answer into an entry of table
``staff_faq``, kept apart from the seed-derived entries of ``rules/data/faq.toml``. Each is
checked like every entry (:class:`rules.faq.StaffEntry`: blank texts, the advertiser of
seed 001, a phrasing another entry already has), cited "秘书处答复 YYYY-MM-DD", and the
staff member who made it is kept with it (never shown to the person asking).

The FAQ search is rebuilt over both (a fifth of a second, in a thread) when one changes,
and handed to the dialog engine: the next person asking gets the answer without a
restart. A change made by another process (``zjtx faq remove``) is noticed by
:meth:`Knowledge.sync`, which the assistant calls before each turn (one indexed read).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, get_args

from pydantic import ValidationError

from bot.db import Db
from dialogs.faq_search import FaqSearch, detect_lang
from dialogs.i18n import Catalogs
from rules import Rules
from rules.faq import STAFF_SOURCE, FaqBase, FaqEntries, FaqEntry, StaffEntry, Topic, phrasing_key
from rules.model import Label, Source

__all__ = ["TOPICS", "Knowledge", "KnowledgeError", "StaffRecord"]

log = logging.getLogger("zjtx.knowledge")
QUESTION_LIMIT = 500
ANSWER_LIMIT = 3000
TOPICS: tuple[str, ...] = get_args(Topic)
_COLUMNS = (
    "id, ticket_id, topic, question_zh, answer_zh, question_en, answer_en, asks, made_by, made_by_name, "
    "made_on, created_at, changed_at, changed_by"
)


class KnowledgeError(ValueError):
    """An entry that cannot be kept: ``key`` is the catalog message, ``values`` its placeholders."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class StaffRecord:
    """One staff-made entry as stored: a language may be missing (None)."""

    id: str
    topic: str
    question_zh: str | None
    answer_zh: str | None
    question_en: str | None = None
    answer_en: str | None = None
    asks: tuple[str, ...] = ()
    made_by: str = ""
    made_by_name: str | None = None
    made_on: date = field(default_factory=date.today)
    ticket_id: int | None = None
    created_at: float = 0.0
    changed_at: float = 0.0
    changed_by: str | None = None

    @property
    def langs(self) -> tuple[str, ...]:
        both = (("zh", self.question_zh, self.answer_zh), ("en", self.question_en, self.answer_en))
        return tuple(lang for lang, q, a in both if q and a)


def _record(row: Sequence[Any]) -> StaffRecord:
    return StaffRecord(
        id=row[0], ticket_id=row[1], topic=row[2], question_zh=row[3], answer_zh=row[4], question_en=row[5],
        answer_en=row[6], asks=tuple(json.loads(row[7] or "[]")), made_by=row[8], made_by_name=row[9],
        made_on=date.fromisoformat(row[10]), created_at=row[11], changed_at=row[12], changed_by=row[13],
    )  # fmt: skip


def by_language(question: str, answer: str) -> tuple[str | None, str | None, str | None, str | None]:
    """(question_zh, answer_zh, question_en, answer_en): the texts in their language's
    fields, Chinese unless the answer is plainly English."""
    if detect_lang(answer, detect_lang(question)) == "en":
        return None, None, question, answer
    return question, answer, None, None


class Knowledge:
    """The seed entries of ``base`` and the staff entries of the database, searched as one.

    ``apply`` receives each new search (bot/app.py hands it to the dialog engine)."""

    def __init__(
        self,
        db: Db,
        base: FaqBase,
        rules: Rules,
        catalogs: Catalogs,
        *,
        apply: Callable[[FaqSearch], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.base = base
        self.rules = rules
        self.cat = catalogs
        self.apply = apply
        self.clock = clock
        self._lock = threading.Lock()
        self._loaded: tuple[Any, ...] | None = None  # the table's signature the search was built on
        self._search: FaqSearch | None = None

    # ------------------------------------------------------------ reading

    def records(self) -> list[StaffRecord]:
        return [_record(r) for r in self.db.rows(f"SELECT {_COLUMNS} FROM staff_faq ORDER BY created_at, id")]

    def get(self, entry_id: str) -> StaffRecord | None:
        row = self.db.row(f"SELECT {_COLUMNS} FROM staff_faq WHERE id=?", [entry_id])
        return _record(row) if row else None

    def entries(self) -> list[StaffEntry]:
        """The staff entries as the search reads them (a record that no longer passes the
        checks, after the seed entries changed, is left out and logged)."""
        made = []
        for record in self.records():
            try:
                made.append(self.entry(record))
            except KnowledgeError as exc:
                log.warning("knowledge.entry_left_out id=%s reason=%s", record.id, exc.key)
        return made

    def entry(self, record: StaffRecord) -> StaffEntry:
        """The entry of a record: a missing language shows the other, saying so. Raises
        KnowledgeError."""
        zh_q, zh_a = (record.question_zh or "").strip(), (record.answer_zh or "").strip()
        en_q, en_a = (record.question_en or "").strip(), (record.answer_en or "").strip()
        if not ((zh_q and zh_a) or (en_q and en_a)):
            raise KnowledgeError("faq.staff.error.empty")
        for text, limit in (
            (zh_q, QUESTION_LIMIT),
            (en_q, QUESTION_LIMIT),
            (zh_a, ANSWER_LIMIT),
            (en_a, ANSWER_LIMIT),
        ):
            if len(text) > limit:
                raise KnowledgeError("faq.staff.error.too_long", limit=limit)
        if record.topic not in TOPICS:
            raise KnowledgeError("faq.staff.error.topic", topic=record.topic)
        question = Label(zh=zh_q or en_q, en=en_q or zh_q)
        answer = Label(
            zh=zh_a or self.cat.text("zh", "faq.staff.en_only") + "\n" + en_a,
            en=en_a or self.cat.text("en", "faq.staff.zh_only") + "\n" + zh_a,
        )
        asks = list(dict.fromkeys(a.strip() for a in (*record.asks, question.zh) if a.strip()))
        try:
            return StaffEntry(
                id=record.id,
                topic=record.topic,  # checked above
                question=question,
                answer=answer,
                asks=asks,
                source=Source(file=STAFF_SOURCE, clause=record.made_on.isoformat()),
            )
        except ValidationError as exc:
            raise KnowledgeError("faq.staff.error.invalid", detail=_first_error(exc)) from None

    def base_with_staff(self, staff: Sequence[FaqEntry] | None = None) -> FaqBase:
        entries = list(self.entries() if staff is None else staff)
        return FaqBase(entries=(*self.base.entries, *entries), lexicon=self.base.lexicon)

    # ------------------------------------------------------------ checking and writing

    def check(self, record: StaffRecord) -> StaffEntry:
        """The entry of ``record`` if it may join the others. Raises KnowledgeError: a
        phrasing another entry has names that entry."""
        if any(record.id == e.id or record.id in e.replaces for e in self.base.entries):
            raise KnowledgeError("faq.staff.error.id_taken", id=record.id)
        entry = self.entry(record)
        others = [e for e in (*self.base.entries, *self.entries()) if e.id != record.id]
        phrasings = {
            phrasing_key(t): e for e in others for t in (e.question.zh, e.question.en, *e.asks, *e.asks_en)
        }
        for text in (entry.question.zh, entry.question.en, *entry.asks, *entry.asks_en):
            clash = phrasings.get(phrasing_key(text))
            if clash is not None:
                raise KnowledgeError("faq.staff.error.duplicate", id=clash.id, question=clash.question.zh)
        try:
            FaqEntries(entry=[*others, entry])
        except ValidationError as exc:
            raise KnowledgeError("faq.staff.error.invalid", detail=_first_error(exc)) from None
        return entry

    def save(self, record: StaffRecord, *, by: str) -> StaffRecord:
        """Check and store ``record`` (a new one, or changes to one kept already). Raises
        KnowledgeError. Call :meth:`refresh` for the search to answer with it."""
        self.check(record)
        now = self.clock()
        kept = self.get(record.id)
        stored = replace(
            record,
            created_at=kept.created_at if kept else now,
            changed_at=now,
            changed_by=by if kept else None,
            made_by=kept.made_by if kept else record.made_by,
            made_by_name=kept.made_by_name if kept else record.made_by_name,
            made_on=kept.made_on if kept else record.made_on,
        )
        with self.db.tx() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO staff_faq ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    stored.id, stored.ticket_id, stored.topic, stored.question_zh, stored.answer_zh,
                    stored.question_en, stored.answer_en, json.dumps(list(stored.asks), ensure_ascii=False),
                    stored.made_by, stored.made_by_name, stored.made_on.isoformat(), stored.created_at,
                    stored.changed_at, stored.changed_by,
                ],
            )  # fmt: skip
        log.info("knowledge.saved id=%s by=%s", stored.id, by)
        return stored

    def remove(self, entry_id: str) -> bool:
        """Delete a staff entry; False when there is none with that id (a seed entry is
        never removed here: it lives in the data files)."""
        with self.db.tx() as conn:
            gone = conn.execute("DELETE FROM staff_faq WHERE id=?", [entry_id]).rowcount == 1
        if gone:
            log.info("knowledge.removed id=%s", entry_id)
        return gone

    # ------------------------------------------------------------ the search

    def _signature(self) -> tuple[Any, ...]:
        row = self.db.row(
            "SELECT count(*), coalesce(max(changed_at), 0), coalesce(sum(changed_at), 0) FROM staff_faq"
        )
        return tuple(row or ())

    def _build(self) -> tuple[tuple[Any, ...], FaqSearch]:
        signature = self._signature()
        return signature, FaqSearch(self.base_with_staff(), self.rules, self.cat)

    def _use(self, signature: tuple[Any, ...], search: FaqSearch) -> None:
        self._loaded, self._search = signature, search
        if self.apply is not None:
            self.apply(search)

    def sync(self) -> bool:
        """Rebuild the search when the staff entries changed since it was built (here or in
        another process); True when it did. With no staff entry ever, nothing is built."""
        signature = self._signature()
        if signature == self._loaded or (self._loaded is None and signature[0] == 0):
            return False
        with self._lock:
            if self._signature() == self._loaded:
                return False
            self._use(*self._build())
        return True

    async def refresh(self) -> None:
        """Rebuild the search now (in a thread, the event loop keeps serving) and apply it."""

        def build() -> tuple[tuple[Any, ...], FaqSearch]:
            with self._lock:
                return self._build()

        signature, search = await asyncio.to_thread(build)
        self._use(signature, search)

    @property
    def search(self) -> FaqSearch | None:
        """The search with the staff entries, once one was built."""
        return self._search

    # ------------------------------------------------------------ export

    def export_toml(self) -> str:
        """The staff entries in the format of ``rules/data/faq.toml`` (for a curator to move
        into the data files, with a seed source)."""
        lines = [
            "# Staff-made entries exported by `zjtx faq export`. Each cites the secretariat's answer;",
            "# before moving one into rules/data/faq.toml, give it a seed source and phrasings.",
        ]
        for record in self.records():
            entry = self.entry(record)
            lines += [
                "",
                "[[entry]]",
                f"id = {_toml(entry.id)}",
                f"topic = {_toml(entry.topic)}",
                f"question = {{ zh = {_toml(entry.question.zh)}, en = {_toml(entry.question.en)} }}",
                f"answer = {{ zh = {_toml(entry.answer.zh if entry.answer else '')}, "
                f"en = {_toml(entry.answer.en if entry.answer else '')} }}",
                f"asks = [{', '.join(_toml(a) for a in entry.asks)}]",
                f"asks_en = [{', '.join(_toml(a) for a in entry.asks_en)}]",
                f"source = {{ file = {_toml(entry.source.file)}, clause = {_toml(entry.source.clause)} }}",
                f"# made by {record.made_by_name or record.made_by} on {record.made_on.isoformat()}"
                + (f" from ticket #{record.ticket_id}" if record.ticket_id else ""),
            ]
        return "\n".join(lines) + "\n"


def _toml(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors()
    return str(errors[0].get("msg", exc)) if errors else str(exc)
