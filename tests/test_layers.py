"""The house's layers, read from the imports: data flows one way and each concern has one owner.

rules/ and dialogs/ never touch a platform or a database; the session store does not pull
in the dialog engine; the broadcast machinery knows no platform (the platforms' packages
implement its Sender); only the composition root picks the channels.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLATFORM_LIBRARIES = ("telegram", "aiohttp", "httpx", "sqlite3", "sqlite_utils")


def imports(path: Path) -> Iterator[str]:
    """Every module a file imports, absolute (relative imports resolved against its package)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                yield f"{base}.{node.module}" if node.module else base
            elif node.module:
                yield node.module


def files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def offending(paths: list[Path], *forbidden: str) -> list[str]:
    return sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for path in paths
        for name in imports(path)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )


@pytest.mark.parametrize("folder", ["rules", "dialogs"])
def test_rules_and_dialogs_touch_no_platform_and_no_database(folder: str) -> None:
    assert offending(files(folder), "bot", *PLATFORM_LIBRARIES) == []


def test_rules_never_import_the_dialogs() -> None:
    assert offending(files("rules"), "dialogs") == []


def test_the_session_store_does_not_import_the_dialog_engine() -> None:
    assert offending([ROOT / "bot" / "store.py"], "dialogs.engine", "dialogs.faq_search") == []


def test_the_broadcast_machinery_knows_no_platform() -> None:
    core = [p for p in files("bot/broadcast") if p.name != "cli.py"]  # the command line is an edge
    assert offending(core, "bot.channels", "bot.app", "telegram", "aiohttp", "httpx") == []


def test_only_the_composition_root_picks_the_channels() -> None:
    outside = [
        p
        for p in files("bot")
        if "channels" not in p.relative_to(ROOT).parts and p.name not in ("app.py", "cli.py")
    ]
    assert offending(outside, "bot.channels") == []


def test_the_scan_sees_relative_imports() -> None:
    found = set(imports(ROOT / "bot" / "broadcast" / "worker.py"))
    assert {"bot.broadcast.sending", "bot.pacing"} <= found


def test_channels_read_the_neutral_vocabulary_not_the_flow() -> None:
    channels = files("bot/channels")
    assert offending(channels, "dialogs.flow", "dialogs.engine") == []
    compared = [str(p.relative_to(ROOT)) for p in channels if '"confirm"' in p.read_text(encoding="utf-8")]
    assert compared == []  # a question says itself whether it lists its choices
