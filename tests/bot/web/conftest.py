"""Fixtures for the staff console: the assistant built from settings with the console on,
its server on 127.0.0.1, and a client logged in by a one-time link."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet

from bot.app import App, build
from bot.settings import Settings
from bot.store import SessionKey

STAFF = "telegram:1001"
ADMIN = "telegram:9001"
KEY = Fernet.generate_key().decode()

Client = TestClient[Any, Any]


def console_settings(tmp_path: Path, **values: Any) -> Settings:
    defaults: dict[str, Any] = {
        "ZJTX_DB": str(tmp_path / "zjtx.db"),
        "ZJTX_STAFF": f"{STAFF},{ADMIN}",
        "ZJTX_ADMIN": ADMIN,
        "ZJTX_CONSOLE_KEY": KEY,
        "ZJTX_PUBLIC_URL": "http://127.0.0.1:8080",
        "TELEGRAM_BOT_TOKEN": None,
        "WECOM_CORP_ID": None,
    }
    defaults.update(values)
    return Settings(_env_file=None, **defaults)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    made = build(console_settings(tmp_path), channels=False, worker=False)
    yield made
    made.close()


@pytest.fixture
async def client(app: App) -> AsyncIterator[Client]:
    async with TestClient(TestServer(app.web(), host="127.0.0.1")) as made:
        yield made


def token_of(link: str) -> str:
    found = re.search(r"token=([A-Za-z0-9_-]+)", link)
    assert found, link
    return found.group(1)


async def log_in(client: Client, app: App, staff: str = STAFF) -> str:
    """Log ``client`` in with a fresh link; return the session's CSRF token."""
    assert app.console is not None
    token = token_of(app.console.link_for(staff, via="test"))
    landing = await client.get(f"/console/login?token={token}")
    assert landing.status == 200
    response = await client.post("/console/login", data={"token": token}, allow_redirects=False)
    assert response.status == 303, await response.text()
    return await csrf_of(client)


async def csrf_of(client: Client, path: str = "/console") -> str:
    page = await client.get(path)
    found = re.search(r'name="csrf-token" content="([^"]+)"', await page.text())
    assert found
    return found.group(1)


@dataclass
class Seeded:
    lead_id: int
    assessment_id: int


def seed(app: App, *, company: str = "广州示例科技有限公司", district: str = "天河区") -> Seeded:
    """One finished assessment and one enquiry, written as the store writes them."""
    key = SessionKey("telegram", "555", "555")
    with app.db.tx() as conn:
        cur = conn.execute(
            "INSERT INTO assessments (channel, chat_id, user_id, made_on, rules_version, answers, result, "
            "created_at) VALUES (?,?,?,?,?,?,?,?)",
            [
                key.channel, key.chat_id, key.user_id, "2026-11-02", "2026.11.0",
                json.dumps({"district": district, "revenue": 50_000_000}, ensure_ascii=False),
                json.dumps({"score": 72, "eligible": True, "tier": "member", "failed_conditions": ["revenue"]}),  # noqa: E501
                "2026-11-02T02:00:00+00:00",
            ],
        )  # fmt: skip
        assessment_id = cur.lastrowid
    lead = app.store.add_lead(key, "join", company, "张三", "13800138000")
    assert assessment_id is not None
    return Seeded(lead.id, assessment_id)
