"""Commands as people type them: ``/name@bot arguments``, read in one place.

The engine, the assistant's staff commands, the broadcast desk and the channels all ask
:func:`parse_command` (or :func:`command_of` for an inbound message), so "/Tiers@zjtx_bot",
"/tiers" and "/tiers  " are the same command everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.messages import Inbound

__all__ = ["Command", "command_of", "parse_command"]


@dataclass(frozen=True, slots=True)
class Command:
    """One command: ``name`` in lower case with its slash ("/assess"), ``args`` what follows
    (stripped, "" for none), ``bot`` the username after an ``@`` as typed (None without one)."""

    name: str
    args: str = ""
    bot: str | None = None

    def addressed_to(self, username: str | None) -> bool:
        """False for "/start@another_bot": a command typed for someone else."""
        return self.bot is None or self.bot.lower() == (username or "").lower()


def parse_command(text: str) -> Command | None:
    """The command ``text`` is, or None when it does not start with "/" (after blanks).

    The name ends at the first blank (a space, a tab, a newline); the arguments are the rest."""
    words = text.strip().split(maxsplit=1)
    if not words or not words[0].startswith("/"):
        return None
    name, at, bot = words[0].partition("@")
    return Command(name.lower(), words[1].strip() if len(words) > 1 else "", bot if at else None)


def command_of(inbound: Inbound) -> Command | None:
    """The command an inbound message carries: a pressed button's value, else the typed text."""
    return parse_command(inbound.choice if inbound.choice is not None else inbound.text)
