"""Who gets in and what they may do: every route without a session, links that are expired,
reused or unknown, CSRF, admin pages, escaping, cookie flags, error pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from bot.app import App, build
from bot.web import ConsoleError
from bot.web.access import IDLE_TIMEOUT
from bot.web.console import COOKIE

from .conftest import ADMIN, STAFF, Client, console_settings, csrf_of, log_in, seed, token_of

PUBLIC = {"/console/login", "/console/lang", "/console/static"}


def console_routes(app: App) -> list[tuple[str, str]]:
    """(method, path) of every console route, path parameters filled in."""
    found = []
    for route in app.web().router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if not path.startswith("/console") or path in PUBLIC or route.method == "HEAD":
            continue
        found.append((route.method, re.sub(r"\{[^}]+\}", "1", path)))
    return sorted(set(found))


def test_the_console_has_the_routes_of_its_pages(app: App) -> None:
    paths = {p for _, p in console_routes(app)}
    assert {"/console", "/console/enquiries", "/console/broadcasts/new", "/console/groups"} <= paths
    assert len(console_routes(app)) >= 25


async def test_every_route_without_a_session_is_refused(app: App, client: Client) -> None:
    seed(app)
    for method, path in console_routes(app):
        response = await client.request(method, path, allow_redirects=False, data={"csrf": "x"})
        if method == "GET":
            assert response.status == 302, (method, path)
            assert response.headers["Location"] == "/console/login"
        else:
            assert response.status == 401, (method, path)
    assert app.db.row("SELECT count(*) FROM console_audit WHERE action != 'login.refused'") == (0,)


async def test_fetches_without_a_session_get_401_not_a_page(client: Client) -> None:
    response = await client.get("/console/enquiries", headers={"Accept": "application/json"})
    assert response.status == 401


async def test_a_link_logs_in_once(app: App, client: Client) -> None:
    assert app.console is not None
    token = token_of(app.console.link_for(STAFF, via="test"))
    first = await client.post("/console/login", data={"token": token}, allow_redirects=False)
    assert first.status == 303
    cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # http://127.0.0.1: a Secure cookie would never come back
    assert (await client.get("/console/enquiries")).status == 200
    async with TestClient(TestServer(app.web(), host="127.0.0.1")) as other:
        again = await other.post("/console/login", data={"token": token})
        assert again.status == 403
        assert "已经用过" in await again.text()


async def test_an_expired_link_is_refused(app: App, client: Client) -> None:
    assert app.console is not None
    token = token_of(app.console.link_for(STAFF, via="test"))
    with app.db.tx() as conn:
        conn.execute("UPDATE console_links SET expires_at = created_at - 1")
    response = await client.post("/console/login", data={"token": token}, allow_redirects=False)
    assert response.status == 403
    assert "已过期" in await response.text()
    assert (await client.get("/console/enquiries", allow_redirects=False)).status == 302


async def test_the_database_keeps_only_hashes_of_tokens_and_sessions(app: App, client: Client) -> None:
    assert app.console is not None
    token = token_of(app.console.link_for(STAFF, via="test"))
    await client.post("/console/login", data={"token": token})
    dump = "\n".join(app.db.database.conn.iterdump())
    assert token not in dump


async def test_repeated_bad_links_are_rate_limited_per_address(app: App, client: Client) -> None:
    for _ in range(10):
        assert (await client.post("/console/login", data={"token": "guess"})).status == 403
    limited = await client.post("/console/login", data={"token": "guess"})
    assert limited.status == 429 and int(limited.headers["Retry-After"]) > 0
    assert app.console is not None
    # a valid link from the same address still works (staff behind one office NAT, or a
    # person who mistyped): bad attempts are limited, good ones are not
    good = token_of(app.console.link_for(STAFF, via="test"))
    response = await client.post("/console/login", data={"token": good}, allow_redirects=False)
    assert response.status == 303
    assert (await client.get("/console/enquiries", allow_redirects=False)).status == 200
    assert (await client.post("/console/login", data={"token": "guess"})).status == 429  # still limited
    refused = app.db.row("SELECT COUNT(*) FROM console_audit WHERE action='login.refused'")
    assert refused is not None and refused[0] == 10  # the limited attempts are not audited one by one


async def test_a_link_for_someone_no_longer_staff_is_refused(app: App, client: Client) -> None:
    assert app.console is not None
    token = token_of(app.console.link_for(STAFF, via="test"))
    app.console.access.staff = frozenset()
    response = await client.post("/console/login", data={"token": token})
    assert response.status == 403


async def test_a_state_change_without_the_csrf_token_is_refused(app: App, client: Client) -> None:
    seeded = seed(app)
    csrf = await log_in(client, app)
    path = f"/console/enquiries/{seeded.lead_id}/handled"
    assert (await client.post(path, allow_redirects=False)).status == 403
    assert (await client.post(path, data={"csrf": "forged"}, allow_redirects=False)).status == 403
    assert (await client.post(path, headers={"X-CSRF-Token": csrf[:-1]}, allow_redirects=False)).status == 403
    assert app.store.leads(open_only=True) != []
    assert (await client.post(path, data={"csrf": csrf}, allow_redirects=False)).status == 303
    assert app.store.leads(open_only=True) == []


async def test_staff_are_kept_out_of_admin_pages(app: App, client: Client) -> None:
    csrf = await log_in(client, app, STAFF)
    for path in ("/console/groups", "/console/audit"):
        response = await client.get(path)
        assert response.status == 403, path
        assert "没有权限" in await response.text()
    add = await client.post("/console/groups/robots", data={"csrf": csrf, "webhook": "x", "name": "x"})
    assert add.status == 403
    home = await (await client.get("/console")).text()
    assert "/console/groups" not in home and "/console/audit" not in home


async def test_admins_open_admin_pages(app: App, client: Client) -> None:
    await log_in(client, app, ADMIN)
    assert (await client.get("/console/groups")).status == 200
    assert (await client.get("/console/audit")).status == 200


async def test_a_script_in_a_persons_text_is_shown_escaped(app: App, client: Client) -> None:
    script = "<script>alert(1)</script>"
    seeded = seed(app, company=script)
    await log_in(client, app)
    for path in (
        "/console/enquiries",
        f"/console/enquiries/{seeded.lead_id}",
        f"/console/knowledge?q={script}",
    ):
        body = await (await client.get(path)).text()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, path
        assert script not in body, path


async def test_logout_ends_the_session_whatever_copy_of_the_cookie_remains(app: App, client: Client) -> None:
    csrf = await log_in(client, app)
    url = URL(str(client.make_url("/console")))
    kept = client.session.cookie_jar.filter_cookies(url)[COOKIE].value
    out = await client.post("/console/logout", data={"csrf": csrf}, allow_redirects=False)
    assert out.status == 303
    client.session.cookie_jar.update_cookies({COOKIE: kept}, url)
    assert (await client.get("/console/enquiries", allow_redirects=False)).status == 302


async def test_an_idle_session_ends(app: App, client: Client) -> None:
    await log_in(client, app)
    with app.db.tx() as conn:
        conn.execute("UPDATE console_sessions SET seen_at = seen_at - ?", [IDLE_TIMEOUT + 1])
    assert (await client.get("/console/enquiries", allow_redirects=False)).status == 302


async def test_pages_carry_the_security_headers(app: App, client: Client) -> None:
    await log_in(client, app)
    response = await client.get("/console/enquiries")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


async def test_error_pages_are_in_the_pages_language_without_a_trace(
    app: App, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    unseen = await client.get("/console/nothing-here", allow_redirects=False)
    assert unseen.status == 302  # without a session not even a 404 says what exists
    await log_in(client, app)
    missing = await client.get("/console/nothing-here")
    assert missing.status == 404 and "找不到这个页面" in await missing.text()
    assert (await client.get("/console/enquiries/999")).status == 404
    english = await client.get("/console/nothing-here?lang=en")
    assert "This page does not exist" in await english.text()
    assert app.console is not None

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(app.console.db, "rows", broken)
    failed = await client.get("/console/enquiries")
    body = await failed.text()
    assert failed.status == 500 and "出错了" in body
    assert "Traceback" not in body and "disk on fire" not in body


async def test_the_language_switch_keeps_english(app: App, client: Client) -> None:
    csrf = await log_in(client, app)
    switched = await client.post(
        "/console/lang",
        data={"csrf": csrf, "lang": "en", "next": "/console/enquiries"},
        allow_redirects=False,
    )
    assert switched.status == 303 and switched.headers["Location"] == "/console/enquiries"
    assert "Enquiries" in await (await client.get("/console/enquiries")).text()
    away = await client.post(
        "/console/lang", data={"csrf": csrf, "lang": "zh", "next": "https://evil.example/"}
    )
    assert str(away.url).endswith("/console")


def test_the_console_refuses_to_start_with_a_bad_key_or_no_address(tmp_path: Path) -> None:
    with pytest.raises(ConsoleError, match="not a Fernet key"):
        build(console_settings(tmp_path, ZJTX_CONSOLE_KEY="short"), channels=False, worker=False)
    with pytest.raises(ConsoleError, match="ZJTX_PUBLIC_URL"):
        build(console_settings(tmp_path, ZJTX_PUBLIC_URL=None), channels=False, worker=False)


@pytest.mark.parametrize("public_url", [None, "https://zjtx.example.org"])
def test_without_its_key_there_is_no_console(tmp_path: Path, public_url: str | None) -> None:
    # the public address alone is the document links' (WeChat), not a console
    app = build(console_settings(tmp_path, ZJTX_CONSOLE_KEY=None, ZJTX_PUBLIC_URL=public_url), channels=False)
    assert app.console is None
    assert not any(
        str(r.resource.canonical).startswith("/console") for r in app.web().router.routes() if r.resource
    )
    app.close()


async def test_the_cookie_is_secure_behind_https(tmp_path: Path) -> None:
    app = build(console_settings(tmp_path, ZJTX_PUBLIC_URL="https://console.example.org"), channels=False)
    assert app.console is not None
    async with TestClient(TestServer(app.web(), host="127.0.0.1")) as client:
        token = token_of(app.console.link_for(STAFF, via="test"))
        assert app.console.link_for(STAFF, via="test").startswith(
            "https://console.example.org/console/login?token="
        )
        response = await client.post("/console/login", data={"token": token}, allow_redirects=False)
        assert "Secure" in response.headers["Set-Cookie"]
    app.close()


async def test_a_body_too_large_is_refused_without_a_crash(app: App, client: Client) -> None:
    csrf = await log_in(client, app)
    response = await client.post(
        "/console/broadcasts/new", data={"csrf": csrf, "source": "x" * (5 * 1024 * 1024)}
    )
    assert response.status == 413
    assert isinstance(web.HTTPRequestEntityTooLarge, type)
    assert await csrf_of(client)  # the session survives
