"""Commands as typed: one parser for the engine, the service, the desk and the channels."""

from __future__ import annotations

import pytest

from dialogs.commands import Command, command_of, parse_command
from dialogs.messages import Inbound


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("/assess", Command("/assess")),
        ("  /Tiers@ZJTX_bot  ", Command("/tiers", "", "ZJTX_bot")),
        ("/lang  en", Command("/lang", "en")),
        ("/faq 会员费 多少", Command("/faq", "会员费 多少")),
        ("/faq\n会员费多少", Command("/faq", "会员费多少")),  # a newline ends the name too
        ("/handled #3", Command("/handled", "#3")),
        ("/", Command("/")),
    ],
)
def test_a_command_is_its_name_its_bot_and_its_arguments(typed: str, command: Command) -> None:
    assert parse_command(typed) == command


@pytest.mark.parametrize("typed", ["", "   ", "assess", "会员等级 /assess", "1"])
def test_text_that_does_not_start_with_a_slash_is_no_command(typed: str) -> None:
    assert parse_command(typed) is None


def test_a_command_for_another_bot_is_not_addressed_to_us() -> None:
    command = parse_command("/start@other_bot")
    assert command is not None
    assert not command.addressed_to("zjtx_bot") and command.addressed_to("OTHER_BOT")
    assert Command("/start").addressed_to("zjtx_bot")  # no @: for whoever reads it


def test_a_pressed_button_is_read_before_the_typed_text() -> None:
    assert command_of(Inbound(text="ignored", choice="/join")) == Command("/join")
    assert command_of(Inbound(choice="yes")) is None
    assert command_of(Inbound(text="/result")) == Command("/result")
