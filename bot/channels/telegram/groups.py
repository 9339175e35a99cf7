"""Group chats: when the bot speaks there, and what it moves to a private chat.

In a group the bot answers only when addressed: a command (for it, not for another bot),
an @mention, or a reply to one of its messages. The questionnaire and one's own results
are the enterprise's business, so those commands get a deep link to a private chat instead.
"""

from __future__ import annotations

import re
from typing import Final

from telegram import Bot, Message, MessageEntity

from dialogs.commands import parse_command

__all__ = [
    "PRIVATE_COMMANDS",
    "QUESTIONNAIRE_COMMANDS",
    "addressed",
    "command_is_ours",
    "is_private_command",
    "private_link",
    "replies_to_bot",
]

# Commands about the enterprise's own answers: in a group they get a link to a private chat
# (one's result, its parts, its PDF report and what-ifs on it included).
QUESTIONNAIRE_COMMANDS: Final = frozenset({"/assess", "/restart", "/back", "/skip"})
PRIVATE_COMMANDS: Final = QUESTIONNAIRE_COMMANDS | {
    "/result",
    "/details",
    "/report",
    "/whatif",
    "/join",
    "/callme",
}
START_ASSESS: Final = "assess"  # the /start payload of the deep link


def addressed(message: Message, text: str, bot: Bot) -> tuple[bool, str]:
    """Whether a group message speaks to the bot, and its text without the @mention."""
    username = (bot.username or "").lower()
    spoken_to = replies_to_bot(message, bot)
    entities = message.parse_entities(
        [MessageEntity.BOT_COMMAND, MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
    )
    for entity, shown in entities.items():
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            command = parse_command(shown)
            spoken_to = spoken_to or (command is not None and command.addressed_to(username))
        else:
            spoken_to = spoken_to or _names_bot(entity, shown, username, bot)
    if username:  # "@bot 会员等级" → "会员等级", "/tiers@bot" → "/tiers"
        text = re.sub(rf"@{re.escape(username)}\b", "", text, flags=re.IGNORECASE)
    return spoken_to and command_is_ours(text, bot), text.strip()


def command_is_ours(text: str, bot: Bot) -> bool:
    """False for "/start@another_bot": a command addressed to someone else."""
    command = parse_command(text)
    return command is None or command.addressed_to(bot.username)


def replies_to_bot(message: Message, bot: Bot) -> bool:
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot.id)


def is_private_command(text: str) -> bool:
    """A command that belongs in a private chat: the questionnaire, one's result, an enquiry."""
    command = parse_command(text)
    if command is None:
        return False
    return command.name in PRIVATE_COMMANDS or (command.name == "/start" and command.args == START_ASSESS)


def private_link(username: str | None, text: str) -> str:
    """The deep link to a private chat with the bot; it starts the questionnaire there when
    ``text`` was a questionnaire command (or /start)."""
    command = parse_command(text)
    name = command.name if command is not None else ""
    starts = name in QUESTIONNAIRE_COMMANDS or name == "/start"
    return f"https://t.me/{username}" + (f"?start={START_ASSESS}" if starts else "")


def _names_bot(entity: MessageEntity, shown: str, username: str, bot: Bot) -> bool:
    if entity.type == MessageEntity.MENTION:
        return shown.lower() == f"@{username}"
    return entity.type == MessageEntity.TEXT_MENTION and bool(entity.user and entity.user.id == bot.id)
