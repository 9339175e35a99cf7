"""`zjtx assess PROFILE --pdf out.pdf`: the report of one profile, for staff."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.cli import main
from tests.rules.examples import EXAMPLE_B


def test_one_profile_gets_its_json_and_its_pdf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "b.json"
    profile.write_text(json.dumps(EXAMPLE_B), encoding="utf-8")
    out = tmp_path / "b.pdf"
    assert main(["assess", str(profile), "--pdf", str(out), "--today", "2026-11-23"]) == 0
    assert json.loads(capsys.readouterr().out)["score"] == 62
    text = re.sub(
        r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages)
    )
    assert "评分：62/100分" in text and "还差10万元" in text and "2026-11-23" in text


def test_a_list_of_profiles_is_refused_without_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profiles = tmp_path / "many.json"
    profiles.write_text(json.dumps([EXAMPLE_B, EXAMPLE_B]), encoding="utf-8")
    out = tmp_path / "many.pdf"
    assert main(["assess", str(profiles), "--pdf", str(out)]) == 2
    assert "one profile" in capsys.readouterr().err and not out.exists()


@pytest.mark.parametrize("named", ["tianhe", "天河", "Tianhe"])
def test_a_district_named_by_an_alias_is_shown_by_its_label(tmp_path: Path, named: str) -> None:
    profile = tmp_path / "b.json"
    profile.write_text(json.dumps({**EXAMPLE_B, "district": named}), encoding="utf-8")
    out = tmp_path / "b.pdf"
    assert main(["assess", str(profile), "--pdf", str(out), "--today", "2026-11-23"]) == 0
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "所在区天河区" in re.sub(r"\s+", "", text)  # the row of the answers' table
