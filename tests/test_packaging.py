"""An installed copy has every file the source tree runs on: each folder under a package is
listed in pyproject.toml (folders of data as namespace packages) and each file that is not
Python matches its package's package-data, so a wheel carries the templates, scripts,
styles, rules data, catalogs and examples, and setuptools has nothing to warn about."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
PACKAGES: list[str] = SETUPTOOLS["packages"]
PACKAGE_DIR: dict[str, str] = SETUPTOOLS.get("package-dir", {})
PACKAGE_DATA: dict[str, list[str]] = SETUPTOOLS.get("package-data", {})
SKIPPED = {"__pycache__"}


def folder(package: str) -> Path:
    top, _, rest = package.partition(".")
    base = ROOT / PACKAGE_DIR.get(top, top)
    return base.joinpath(*rest.split(".")) if rest else base


def files(package: str) -> list[Path]:
    return sorted(p for p in folder(package).iterdir() if p.is_file() and not p.name.startswith("."))


def subfolders(package: str) -> list[str]:
    return sorted(p.name for p in folder(package).iterdir() if p.is_dir() and p.name not in SKIPPED)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_folder_of_a_package_is_listed(package: str) -> None:
    assert folder(package).is_dir()
    missing = [f"{package}.{name}" for name in subfolders(package) if f"{package}.{name}" not in PACKAGES]
    assert not missing, f"add to [tool.setuptools] packages: {missing}"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_file_of_a_package_is_installed(package: str) -> None:
    globs = PACKAGE_DATA.get(package, [])
    left_out = [
        p.name
        for p in files(package)
        if p.suffix not in (".py", ".pyc") and not any(p.match(pattern) for pattern in globs)
    ]
    assert not left_out, f"add to [tool.setuptools.package-data] {package!r}: {left_out}"


def test_a_package_data_entry_names_a_listed_package() -> None:
    assert set(PACKAGE_DATA) <= set(PACKAGES)
