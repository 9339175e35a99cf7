"""Signed, expiring document links: published, served only for a valid token, forgotten."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.db import Db, connect
from bot.links import DocumentLinks, link_key
from tests.fakes.wecom_api import ManualClock


@pytest.fixture
def db(tmp_path: Path) -> Db:
    return connect(tmp_path / "l.db")


@pytest.fixture
async def served(
    db: Db,
) -> AsyncIterator[tuple[TestClient[web.Request, web.Application], DocumentLinks, ManualClock]]:
    clock = ManualClock()
    links = DocumentLinks(
        db, key=b"secret-key", public_url="https://zjtx.example.org/", clock=clock, ttl_seconds=60
    )
    app = web.Application()
    links.install(app)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client, links, clock


async def test_a_published_file_opens_until_it_expires(
    served: tuple[TestClient[web.Request, web.Application], DocumentLinks, ManualClock],
) -> None:
    client, links, clock = served
    link = links.publish("wechat", "o1", "自测报告.pdf", "application/pdf", b"%PDF-data")
    assert link.url.startswith("https://zjtx.example.org/files/")
    path = link.url.removeprefix("https://zjtx.example.org")
    response = await client.get(path)
    assert (response.status, await response.read()) == (200, b"%PDF-data")
    assert "filename*=UTF-8''%E8%87%AA" in response.headers["Content-Disposition"]
    clock.advance(61)
    assert (await client.get(path)).status == 410


async def test_a_token_signed_with_another_key_is_refused(
    served: tuple[TestClient[web.Request, web.Application], DocumentLinks, ManualClock], db: Db
) -> None:
    client, _, clock = served
    other = DocumentLinks(db, key=b"another-key", public_url="https://zjtx.example.org", clock=clock)
    link = other.publish("wechat", "o1", "r.pdf", "application/pdf", b"%PDF")
    assert (await client.get(link.url.removeprefix("https://zjtx.example.org"))).status == 403


async def test_forget_deletes_the_persons_files(
    served: tuple[TestClient[web.Request, web.Application], DocumentLinks, ManualClock],
) -> None:
    client, links, _ = served
    link = links.publish("wechat", "o1", "r.pdf", "application/pdf", b"%PDF")
    links.publish("wechat", "o2", "r.pdf", "application/pdf", b"%PDF")
    assert links.forget("wechat", "o1") == 1
    assert (await client.get(link.url.removeprefix("https://zjtx.example.org"))).status == 404


async def test_expired_files_are_pruned_when_another_is_published(
    served: tuple[TestClient[web.Request, web.Application], DocumentLinks, ManualClock], db: Db
) -> None:
    _, links, clock = served
    links.publish("wechat", "o1", "a.pdf", "application/pdf", b"1")
    clock.advance(61)
    links.publish("wechat", "o1", "b.pdf", "application/pdf", b"2")
    assert db.rows("SELECT filename FROM document_links") == [("b.pdf",)]


def test_the_key_is_the_setting_or_derived_or_none() -> None:
    assert link_key("abc", "app-secret") == b"abc"
    derived = link_key(None, "app-secret")
    assert derived is not None and len(derived) == 32 and derived != b"app-secret"
    assert link_key(None, None) is None


def test_a_public_url_must_be_http(db: Db) -> None:
    with pytest.raises(ValueError):
        DocumentLinks(db, key=b"k", public_url="zjtx.example.org")
