"""A fake Telegram Bot API server for end-to-end tests and benchmarks.

It listens on 127.0.0.1 on a free port and answers the Bot API's HTTP/JSON the way
api.telegram.org does, so the real python-telegram-bot client can be pointed at it::

    async with FakeTelegramBotApi() as api:
        app = (
            ApplicationBuilder()
            .token(api.token)
            .base_url(api.base_url)
            .base_file_url(api.base_file_url)
            .build()
        )
        ...  # start the application, polling or with a webhook
        await api.push_update(api.message_update(chat_id=42, user_id=42, text="/start"))
        reply = await api.wait_for_message(chat_id=42)

Every request is recorded as a `Call`. Updates are built with the ``*_update`` methods and
delivered with `FakeTelegramBotApi.push_update`: queued for getUpdates, or POSTed to the webhook
when one is set. `FakeTelegramBotApi.deliver` does what Telegram does with a webhook that fails:
it POSTs the update again until it is answered 200 (after a refused connection or a 5xx it
waits until the bot registers its webhook again, i.e. a restarted bot is up; no clock).
`acknowledged` lists the update_ids answered 200 (webhook) or confirmed by a getUpdates offset
(polling). Failures are injected with ``fail_next``/``rate_limit_next`` (the next N calls),
``fail_chat`` (every call about one chat) and ``enforce_flood_limits`` (Telegram's documented
broadcast limits).

Where the real server's error descriptions are known they are copied word for word; the rest
keep the real prefix ("Bad Request: ", "Forbidden: ", ...) so clients classify them the same way.
Uploads are checked as the Bot API documents them (sendPhoto: an image of at most 10 MB whose
width and height add up to at most 10000, neither more than 20 times the other; sendDocument:
a non-empty file of at most 50 MB) and kept byte for byte: `file_content` returns what was
uploaded, `bot_messages` what the bot sent in order, photos and documents included.

Forum supergroups (`make_forum`) have topics made with createForumTopic; a message sent
with message_thread_id lands in its topic, and a user's message in a topic (``message_update``
with ``message_thread_id``) is a reply to the topic's service message, as Telegram shows it.

Deliberate differences from the real server: webhooks may use plain http, a 429's retry_after
may be fractional (to keep tests fast), photos sent by URL are not fetched, every size of an
uploaded photo serves the uploaded bytes (the real server re-encodes them), and the
Markdown/MarkdownV2 parse modes are not parsed (HTML is).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import io
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import urlsplit

from aiohttp import ClientError, ClientSession, ClientTimeout, web
from aiohttp.web_request import FileField
from PIL import Image, UnidentifiedImageError

__all__ = [
    "BOT_BLOCKED",
    "BOT_KICKED",
    "BOT_KICKED_FROM_SUPERGROUP",
    "CHAT_NOT_FOUND",
    "DEFAULT_TOKEN",
    "DOCUMENT_LIMIT_BYTES",
    "PHOTO_LIMIT_BYTES",
    "PHOTO_MAX_DIMENSIONS",
    "TELEGRAM_FLOOD_LIMITS",
    "ApiError",
    "Call",
    "FakeTelegramBotApi",
    "FloodLimits",
    "UploadedFile",
    "Webhook",
    "WebhookDelivery",
    "find_button",
    "too_many_requests",
]

JSONDict = dict[str, Any]

DEFAULT_TOKEN: Final = "1234567890:AAFakeTokenForTestsOnly_0123456789ab"

# Uploads by multipart/form-data, as https://core.telegram.org/bots/api#sending-files and
# #sendphoto state them.
PHOTO_LIMIT_BYTES: Final = 10 * 1024 * 1024
PHOTO_MAX_DIMENSIONS: Final = 10_000  # width + height
PHOTO_MAX_RATIO: Final = 20
DOCUMENT_LIMIT_BYTES: Final = 50 * 1024 * 1024
CAPTION_LIMIT: Final = 1024
_PHOTO_BOXES: Final = (90, 320, 800, 1280)  # the sizes Telegram makes of a photo: s, m, x, y


# --------------------------------------------------------------------------------------------
# Public value types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiError:
    """An error answer: HTTP status ``error_code``, its ``description`` and, for 429, ``retry_after``."""

    error_code: int
    description: str
    retry_after: float | None = None

    def as_json(self) -> JSONDict:
        """Return the response body the Bot API sends for this error."""
        body: JSONDict = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def too_many_requests(retry_after: float) -> ApiError:
    """Return the 429 answer asking the client to wait ``retry_after`` seconds.

    The real server sends whole seconds. A fraction is sent as given (python-telegram-bot
    accepts it); 0 is sent too, but python-telegram-bot then sees no retry_after at all.
    """
    shown: float = int(retry_after) if float(retry_after).is_integer() else retry_after
    return ApiError(429, f"Too Many Requests: retry after {shown}", retry_after=shown)


BOT_BLOCKED: Final = ApiError(403, "Forbidden: bot was blocked by the user")
BOT_KICKED: Final = ApiError(403, "Forbidden: bot was kicked from the group chat")
BOT_KICKED_FROM_SUPERGROUP: Final = ApiError(403, "Forbidden: bot was kicked from the supergroup chat")
CHAT_NOT_FOUND: Final = ApiError(400, "Bad Request: chat not found")
_NOT_FOUND: Final = ApiError(404, "Not Found")
_UNAUTHORIZED: Final = ApiError(401, "Unauthorized")


@dataclass(frozen=True)
class UploadedFile:
    """A file sent as a part of a multipart request."""

    field_name: str
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Call:
    """One request the fake answered, in the order the answers were given."""

    method: str  # canonical spelling ("sendMessage"); as requested when the method is unknown
    params: JSONDict  # query, form or JSON parameters, JSON-encoded form values decoded
    files: Mapping[str, UploadedFile]
    time: float  # the fake's clock when the request arrived
    status: int  # HTTP status of the answer
    result: Any  # "result" of a successful answer, else None
    error: ApiError | None

    @property
    def ok(self) -> bool:
        """Return whether the call was answered with ``{"ok": true}``."""
        return self.error is None


@dataclass(frozen=True)
class FloodLimits:
    """Limits enforced by `FakeTelegramBotApi.enforce_flood_limits`.

    The defaults are the figures Telegram documents for bots: about 30 messages per second
    overall and 20 messages per minute to one group. Both are sliding windows here.
    """

    messages_per_second: int = 30
    group_messages_per_minute: int = 20
    methods: frozenset[str] = frozenset({"sendMessage"})


TELEGRAM_FLOOD_LIMITS: Final = FloodLimits()


@dataclass(frozen=True)
class Webhook:
    """The webhook set with setWebhook."""

    url: str
    secret_token: str | None
    max_connections: int
    ip_address: str | None
    has_custom_certificate: bool


@dataclass(frozen=True)
class WebhookDelivery:
    """One update POSTed to the webhook and the HTTP status the bot's server answered."""

    update_id: int
    url: str
    secret_token_sent: str | None
    status: int


def find_button(message: Mapping[str, Any], text: str) -> JSONDict:
    """Return the inline keyboard button labelled ``text`` in ``message``.

    Raises LookupError naming the labels present when there is no such button.
    """
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    labels = []
    for row in rows:
        for button in row:
            if button.get("text") == text:
                return dict(button)
            labels.append(button.get("text"))
    raise LookupError(f"no button {text!r} in message {message.get('message_id')}; buttons: {labels}")


# --------------------------------------------------------------------------------------------
# Private helpers: errors, parameters, text formatting
# --------------------------------------------------------------------------------------------


class _Refusal(Exception):
    """Raised inside a method to answer with ``error``."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.description)
        self.error = error


def _bad_request(detail: str) -> _Refusal:
    return _Refusal(ApiError(400, f"Bad Request: {detail}"))


@dataclass(frozen=True)
class _Answer:
    """A successful result with the optional "description" some methods add."""

    result: Any
    description: str | None = None


# python-telegram-bot JSON-encodes every form value except strings, which it sends raw;
# these parameters are strings, so a text like "42" must not be decoded to a number.
_STRING_PARAMS: Final = frozenset(
    {
        "action",
        "business_connection_id",
        "callback_query_id",
        "caption",
        "description",
        "document",
        "file_id",
        "inline_message_id",
        "ip_address",
        "language_code",
        "message_effect_id",
        "name",
        "parse_mode",
        "photo",
        "secret_token",
        "short_description",
        "text",
        "title",
        "url",
    }
)


def _decode_form_value(name: str, raw: str) -> Any:
    if name in _STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _chat_key(value: Any) -> int | str:
    """Return a chat id as an int, or a lower-cased "@username"."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        stripped = value.strip()
        if re.fullmatch(r"-?\d+", stripped):
            return int(stripped)
        if stripped.startswith("@") and len(stripped) > 1:
            return stripped.lower()
    raise _Refusal(CHAT_NOT_FOUND)


class _Params:
    """Typed access to a request's parameters; a wrong value is refused with 400."""

    def __init__(self, values: JSONDict, files: Mapping[str, UploadedFile]) -> None:
        self.values = values
        self.files = files

    def get(self, name: str) -> Any:
        return self.values.get(name)

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            raise _bad_request(f'field "{name}" must be of type Integer')
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        raise _bad_request(f'field "{name}" must be of type Integer')

    def required_integer(self, name: str) -> int:
        value = self.integer(name)
        if value is None:
            raise _bad_request(f"{name} is empty")
        return value

    def number(self, name: str, default: float) -> float:
        value = self.values.get(name)
        if value is None:
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _bad_request(f'field "{name}" must be a number') from None

    def flag(self, name: str) -> bool:
        return self.values.get(name) in (True, 1, "true", "True", "1")

    def structure(self, name: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise _bad_request(f"can't parse {name} JSON object") from None
        return value


def _utf16_len(text: str) -> int:
    """Return the length Telegram uses for offsets: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


_AUTO_ENTITY: Final = re.compile(
    r"(?P<bot_command>(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/]))"
    r"|(?P<mention>(?<![\w@])@[A-Za-z0-9_]{5,32}\b)"
    r"|(?P<url>https?://[^\s]+)"
)


def _detect_entities(text: str) -> list[JSONDict]:
    """Return the entities Telegram adds to a user's text: /commands, @mentions and links."""
    entities = []
    for match in _AUTO_ENTITY.finditer(text):
        kind = match.lastgroup
        assert kind is not None
        entities.append(
            {
                "type": kind,
                "offset": _utf16_len(text[: match.start()]),
                "length": _utf16_len(match.group()),
            }
        )
    return entities


_HTML_ENTITY_TYPES: Final = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_ESCAPES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ESCAPE: Final = re.compile(r"&(?:(lt|gt|amp|quot)|#(\d+)|#x([0-9a-fA-F]+));")
_HTML_TAG: Final = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[^>]*)?)>")
_HTML_ATTR: Final = re.compile(r"""([A-Za-z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def _parse_html(source: str) -> tuple[str, list[JSONDict]]:
    """Return the plain text and entities of a message in the HTML parse mode.

    Raises _Refusal with "Bad Request: can't parse entities: ..." for markup Telegram refuses:
    unsupported tags, unmatched or unclosed tags, a "<" that starts no tag.
    """

    def refuse(detail: str) -> _Refusal:
        return _bad_request(f"can't parse entities: {detail}")

    def byte_offset(index: int) -> int:
        return len(source[:index].encode("utf-8"))

    pieces: list[str] = []
    length = 0  # of the plain text so far, in UTF-16 code units
    open_tags: list[tuple[str, int, JSONDict]] = []
    entities: list[JSONDict] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char == "<":
            tag = _HTML_TAG.match(source, index)
            if tag is None:
                raise refuse(f'Unexpected character after "<" at byte offset {byte_offset(index)}')
            closing, name, attributes = tag.group(1) == "/", tag.group(2).lower(), tag.group(3)
            if closing:
                if not open_tags or open_tags[-1][0] != name:
                    expected = f', expected "</{open_tags[-1][0]}>"' if open_tags else ""
                    raise refuse(
                        f'Unmatched end tag at byte offset {byte_offset(index)}{expected}, found "</{name}>"'
                    )
                _, start, closed = open_tags.pop()
                if length > start:
                    entities.append({**closed, "offset": start, "length": length - start})
            else:
                kind = _HTML_ENTITY_TYPES.get(name)
                attrs = {
                    match.group(1).lower(): next(g for g in match.groups()[1:] if g is not None)
                    for match in _HTML_ATTR.finditer(attributes)
                }
                if kind is None or (name == "span" and attrs.get("class") != "tg-spoiler"):
                    raise refuse(f'Unsupported start tag "{name}" at byte offset {byte_offset(index)}')
                entity: JSONDict = {"type": kind}
                if kind == "text_link":
                    if "href" not in attrs:
                        raise refuse(f"Can't find href attribute at byte offset {byte_offset(index)}")
                    entity["url"] = attrs["href"]
                elif kind == "blockquote" and "expandable" in attributes.split():
                    entity["type"] = "expandable_blockquote"
                elif kind == "custom_emoji":
                    entity["custom_emoji_id"] = attrs.get("emoji-id", "")
                elif kind == "code" and open_tags and open_tags[-1][0] == "pre":
                    language = attrs.get("class", "")
                    if language.startswith("language-"):
                        open_tags[-1][2]["language"] = language.removeprefix("language-")
                open_tags.append((name, length, entity))
            index = tag.end()
            continue
        if char == "&":
            escape = _HTML_ESCAPE.match(source, index)
            if escape is not None:
                named, decimal, hexadecimal = escape.groups()
                if named:
                    char = _HTML_ESCAPES[named]
                else:
                    char = chr(int(decimal) if decimal else int(hexadecimal, 16))
                pieces.append(char)
                length += _utf16_len(char)
                index = escape.end()
                continue
        pieces.append(char)
        length += _utf16_len(char)
        index += 1
    if open_tags:
        raise refuse(f'Can\'t find end tag corresponding to start tag "{open_tags[-1][0]}"')
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(pieces), entities


def _format_text(text: str, parse_mode: str | None, entities: Any) -> tuple[str, list[JSONDict]]:
    """Return the text as displayed and its entities, as the server derives them."""
    if entities is not None and not isinstance(entities, list):
        raise _bad_request("can't parse entities JSON object")
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _parse_html(text)
    if mode in ("", "markdown", "markdownv2"):
        return text, list(entities or [])
    raise _bad_request(f"unsupported parse_mode {parse_mode}")


_UPDATE_KINDS: Final = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
# "Specify an empty list to receive all update types except chat_member, message_reaction,
# and message_reaction_count (default)."
_NOT_SENT_BY_DEFAULT: Final = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_MESSAGE_KINDS: Final = ("message", "edited_message", "channel_post", "edited_channel_post")
_CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_SCOPE_TYPES: Final = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_MEMBER_STATUSES: Final = frozenset({"creator", "administrator", "member", "left", "kicked"})
_NOT_MODIFIED: Final = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
_WEBHOOK_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"
_LOCAL_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})


def _update_kind(update: Mapping[str, Any]) -> str:
    for kind in _UPDATE_KINDS:
        if kind in update:
            return kind
    raise ValueError(f"update {update.get('update_id')} has none of the known update fields")


def _chat_member(user: JSONDict, status: str) -> JSONDict:
    """Return a ChatMember object of ``user`` with ``status``."""
    member: JSONDict = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(
            can_be_edited=False,
            is_anonymous=False,
            can_manage_chat=True,
            can_delete_messages=True,
            can_manage_video_chats=True,
            can_restrict_members=True,
            can_promote_members=False,
            can_change_info=True,
            can_invite_users=True,
            can_pin_messages=True,
            can_post_stories=False,
            can_edit_stories=False,
            can_delete_stories=False,
        )
    elif status == "kicked":
        member["until_date"] = 0
    elif status not in _MEMBER_STATUSES:
        raise ValueError(f"unknown chat member status {status!r}; use one of {sorted(_MEMBER_STATUSES)}")
    return member


@dataclass
class _Pending:
    update: JSONDict
    replayed: bool  # an update_id seen before, pushed on purpose: kept until delivered once
    delivered: bool = False


@dataclass
class _Injection:
    error: ApiError
    remaining: int
    method: str | None


@dataclass(frozen=True)
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes


@dataclass
class _ChatAdmins:
    owner_id: int | None
    admin_ids: list[int] = field(default_factory=list)


_Method = Callable[[_Params], Awaitable[Any]]


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeTelegramBotApi:
    """A Bot API server on 127.0.0.1 for one bot, with helpers to drive and inspect it.

    Use it as an async context manager, or call `start` and `stop`. Not thread-safe: use it
    from the event loop that started it.
    """

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "zjtx_test_bot",
        bot_first_name: str = "ZJTX Test Bot",
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        first_update_id: int = 100_000_001,
    ) -> None:
        """Create a stopped server for the bot ``token``.

        ``clock`` times calls and flood limits; ``wall_clock`` gives the Unix dates in messages.
        Raises ValueError if ``token`` is not shaped like "<bot id>:<secret>".
        """
        if not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", token):
            raise ValueError(f"a bot token looks like '123456:ABC-def', got {token!r}")
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self._clock = clock
        self._wall_clock = wall_clock

        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._port: int | None = None
        self._closing = False

        self._calls: list[Call] = []
        self._calls_changed = asyncio.Condition()

        self._update_ids = itertools.count(first_update_id)
        self._seen_update_ids: set[int] = set()
        self._pending: list[_Pending] = []
        self._updates_changed = asyncio.Condition()
        self._poll_generation = 0
        self._polls_waiting = 0
        self._allowed_updates: tuple[str, ...] = ()
        self._webhook: Webhook | None = None
        self.webhook_redirect: str | None = None
        """When set, updates for the webhook are POSTed here instead of to the registered URL."""
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.acknowledged: set[int] = set()
        """update_ids a webhook answered 200, or a getUpdates offset confirmed."""
        self._webhook_generation = 0  # counts setWebhook calls: a restarted bot registers again
        self._webhook_changed = asyncio.Condition()
        self.discarded_updates: list[JSONDict] = []
        """Updates pushed while their type was not among the allowed updates."""

        self._chats: dict[int, JSONDict] = {}
        self._users: dict[int, JSONDict] = {}
        self._message_ids: dict[int, int] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._reply_keyboards: dict[int, JSONDict] = {}
        self._callback_queries: dict[str, bool] = {}  # id → answered
        self._callback_query_ids = itertools.count(4_000_000_000_001)
        self._admins: dict[int, _ChatAdmins] = {}
        self._bot_statuses: dict[int, str] = {}
        self._topics: dict[tuple[int, int], JSONDict] = {}  # (chat, thread id) → the service message
        self._chat_failures: dict[int | str, ApiError] = {}
        self._commands: dict[tuple[tuple[str, int | None, int | None], str], list[JSONDict]] = {}
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._photos: dict[str, list[JSONDict]] = {}  # any size's file_id → all sizes
        self._documents: dict[str, JSONDict] = {}  # file_id → the Document object
        self._file_numbers = itertools.count(1)

        self._injections: list[_Injection] = []
        self._garbled: dict[str, deque[Any]] = {}
        self._flood_limits: FloodLimits | None = None
        self._flood_overall: deque[float] = deque()
        self._flood_groups: dict[int | str, deque[float]] = {}
        self._flood_refusals = 0

        self._methods: dict[str, tuple[str, _Method]] = {
            name.lower(): (name, method)
            for name, method in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "answerCallbackQuery": self._answer_callback_query,
                "sendChatAction": self._send_chat_action,
                "sendPhoto": self._send_photo,
                "sendDocument": self._send_document,
                "getFile": self._get_file,
                "deleteMessage": self._delete_message,
                "getChat": self._get_chat,
                "getChatMember": self._get_chat_member,
                "getChatAdministrators": self._get_chat_administrators,
                "leaveChat": self._leave_chat,
                "createForumTopic": self._create_forum_topic,
            }.items()
        }

    # ---- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port. Raises RuntimeError if already started."""
        if self._runner is not None:
            raise RuntimeError("the fake Bot API server is already started")
        # past the Bot API's 50 MB upload limit, so that a larger upload is answered (413) the
        # way the Bot API answers it, and recorded
        app = web.Application(client_max_size=DOCUMENT_LIMIT_BYTES + 4 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        self._closing = False
        self._session = ClientSession(timeout=ClientTimeout(total=30))

    async def stop(self) -> None:
        """Answer waiting getUpdates calls with no updates and stop listening."""
        self._closing = True
        async with self._updates_changed:
            self._updates_changed.notify_all()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """Return the port listened on. Raises RuntimeError before `start`."""
        if self._port is None:
            raise RuntimeError("start the fake Bot API server first")
        return self._port

    @property
    def base_url(self) -> str:
        """Return the value for python-telegram-bot's ``base_url`` (the token is appended)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Return the value for python-telegram-bot's ``base_file_url``."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def bot_user(self) -> JSONDict:
        """Return the bot's User object as getMe answers it."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # ---- inspecting calls -------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        """Return the recorded calls, all or those of ``method`` (any capitalisation)."""
        if method is None:
            return list(self._calls)
        wanted = method.lower()
        return [call for call in self._calls if call.method.lower() == wanted]

    def checkpoint(self) -> int:
        """Return the number of calls so far, to pass as ``since`` to the ``wait_for`` methods."""
        return len(self._calls)

    def sent_messages(self, chat_id: int | None = None) -> list[JSONDict]:
        """Return the Message objects answered to successful sendMessage calls, oldest first."""
        return [
            call.result
            for call in self._calls
            if call.method == "sendMessage"
            and call.ok
            and (chat_id is None or call.result["chat"]["id"] == chat_id)
        ]

    def bot_messages(self, chat_id: int | None = None) -> list[JSONDict]:
        """Return the Message objects of every successful sendMessage, sendPhoto and
        sendDocument call (to ``chat_id``), oldest first: texts, photos and documents in order."""
        return [
            call.result
            for call in self._calls
            if call.method in ("sendMessage", "sendPhoto", "sendDocument")
            and call.ok
            and (chat_id is None or call.result["chat"]["id"] == chat_id)
        ]

    def file_content(self, file_id: str) -> bytes:
        """Return the bytes stored under ``file_id`` (a photo size or a document).

        Raises KeyError for a file_id the fake never issued."""
        return self._files[file_id].content

    def chat_messages(self, chat_id: int) -> list[JSONDict]:
        """Return what the chat shows now: its known messages after edits and deletions."""
        return [
            copy.deepcopy(message) for (chat, _), message in sorted(self._messages.items()) if chat == chat_id
        ]

    def reply_keyboard(self, chat_id: int) -> JSONDict | None:
        """Return the reply keyboard the bot last showed in the chat, or None if removed or never sent."""
        keyboard = self._reply_keyboards.get(chat_id)
        return copy.deepcopy(keyboard) if keyboard is not None else None

    async def wait_for(
        self,
        predicate: Callable[[Call], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 -- a bound on waiting, asked for by every caller
        *,
        since: int = 0,
    ) -> Call:
        """Return the first call from index ``since`` on matching ``predicate``, waiting for it.

        Raises TimeoutError, listing the calls seen, if none matches within ``timeout`` seconds.
        """
        index = since
        try:
            async with asyncio.timeout(timeout), self._calls_changed:
                while True:
                    while index < len(self._calls):
                        call = self._calls[index]
                        index += 1
                        if predicate(call):
                            return call
                    await self._calls_changed.wait()
        except TimeoutError:
            seen = ", ".join(f"{call.method}({call.status})" for call in self._calls[since:]) or "none"
            raise TimeoutError(f"no matching call within {timeout} s; calls since #{since}: {seen}") from None

    async def wait_for_poll(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 -- as in wait_for
        """Return once a getUpdates call is waiting for updates. Raises TimeoutError after ``timeout`` s."""
        async with asyncio.timeout(timeout), self._updates_changed:
            await self._updates_changed.wait_for(lambda: self._polls_waiting > 0)

    async def wait_for_message(
        self,
        chat_id: int | None = None,
        *,
        containing: str | None = None,
        since: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109 -- as in wait_for
    ) -> JSONDict:
        """Return the first message sent with sendMessage (to ``chat_id``, with ``containing``).

        Raises TimeoutError if none is sent within ``timeout`` seconds.
        """

        def matches(call: Call) -> bool:
            if call.method != "sendMessage" or not call.ok:
                return False
            message: JSONDict = call.result
            if chat_id is not None and message["chat"]["id"] != chat_id:
                return False
            return containing is None or containing in message.get("text", "")

        call = await self.wait_for(matches, timeout, since=since)
        result: JSONDict = call.result
        return result

    # ---- configuring the world --------------------------------------------------------------

    def set_admins(self, chat_id: int, admin_ids: Iterable[int], *, owner_id: int | None = None) -> None:
        """Make ``admin_ids`` the administrators of a group and ``owner_id`` its creator.

        Include the bot's id in ``admin_ids`` to make the bot an administrator.
        """
        self._admins[chat_id] = _ChatAdmins(owner_id=owner_id, admin_ids=list(admin_ids))

    def fail_chat(self, chat_id: int | str, error: ApiError = BOT_BLOCKED) -> None:
        """Answer every call about the chat with ``error`` until `restore_chat`.

        Use BOT_BLOCKED, BOT_KICKED, BOT_KICKED_FROM_SUPERGROUP or CHAT_NOT_FOUND.
        """
        self._chat_failures[self._resolve(_chat_key(chat_id))] = error

    def restore_chat(self, chat_id: int | str) -> None:
        """Stop failing calls about the chat."""
        self._chat_failures.pop(self._resolve(_chat_key(chat_id)), None)

    def fail_next(self, error: ApiError, *, count: int = 1, method: str | None = None) -> None:
        """Answer the next ``count`` calls (of ``method`` only, if given) with ``error``.

        Without ``method`` every call counts, getUpdates of a polling client included.
        """
        self._injections.append(_Injection(error=error, remaining=count, method=method))

    def stop_failing(self) -> None:
        """Drop what ``fail_next``/``rate_limit_next`` still had to inject."""
        self._injections.clear()

    def garble_next(self, method: str, result: Any, *, count: int = 1) -> None:
        """Answer the next ``count`` successful calls of ``method`` with ``{"ok": true, "result":
        result}`` whatever the call did: an answer the client cannot read (a Chat without a type)."""
        self._garbled.setdefault(method, deque()).extend([result] * count)

    def rate_limit_next(self, count: int = 1, *, retry_after: float = 1, method: str | None = None) -> None:
        """Answer the next ``count`` calls (of ``method``) with 429 Too Many Requests."""
        self.fail_next(too_many_requests(retry_after), count=count, method=method)

    def enforce_flood_limits(self, limits: FloodLimits = TELEGRAM_FLOOD_LIMITS) -> None:
        """Answer 429 with a retry_after to message sends beyond ``limits``, timed by the clock."""
        self._flood_limits = limits
        self._flood_overall.clear()
        self._flood_groups.clear()

    def lift_flood_limits(self) -> None:
        """Stop enforcing flood limits."""
        self._flood_limits = None

    @property
    def flood_refusals(self) -> int:
        """Return how many calls the flood limits refused with 429."""
        return self._flood_refusals

    @property
    def webhook(self) -> Webhook | None:
        """Return the webhook set, or None while polling."""
        return self._webhook

    @property
    def allowed_updates(self) -> tuple[str, ...]:
        """Return the update types last asked for; empty means Telegram's default set."""
        return self._allowed_updates

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Return the updates queued and not yet confirmed by getUpdates."""
        return [copy.deepcopy(pending.update) for pending in self._pending]

    def commands(self, scope: Mapping[str, Any] | None = None, language_code: str = "") -> list[JSONDict]:
        """Return the commands set for exactly this scope and language, as getMyCommands does."""
        key = self._scope_key(dict(scope) if scope is not None else {"type": "default"})
        return copy.deepcopy(self._commands.get((key, language_code), []))

    def visible_commands(self, chat_id: int, user_id: int, language_code: str = "") -> list[JSONDict]:
        """Return the command menu a user sees in a chat, by Telegram's documented fallback order.

        The user's IETF language tag ("zh-hans") is matched on its primary subtag ("zh").
        """
        chat = self._chat_for(chat_id)
        admins = self._admins.get(chat_id)
        is_admin = admins is not None and (user_id == admins.owner_id or user_id in admins.admin_ids)
        scopes: list[tuple[str, int | None, int | None]]
        if chat["type"] == "private":
            scopes = [("chat", chat_id, None), ("all_private_chats", None, None)]
        else:
            scopes = [("chat_member", chat_id, user_id)]
            if is_admin:
                scopes.append(("chat_administrators", chat_id, None))
            scopes.append(("chat", chat_id, None))
            if is_admin:
                scopes.append(("all_chat_administrators", None, None))
            scopes.append(("all_group_chats", None, None))
        scopes.append(("default", None, None))
        language = language_code.split("-", 1)[0].lower()
        for scope in scopes:
            for code in (language, "") if language else ("",):
                commands = self._commands.get((scope, code))
                if commands:
                    return copy.deepcopy(commands)
        return []

    def make_forum(self, chat_id: int, *, title: str | None = None) -> None:
        """Make a supergroup a forum (its topics are made with createForumTopic).

        Raises ValueError for a chat id that is not a supergroup's."""
        if not str(chat_id).startswith("-100"):
            raise ValueError(f"only a supergroup (-100…) can be a forum, not {chat_id}")
        chat = self._chat_for(chat_id)
        chat["is_forum"] = True
        if title:
            chat["title"] = title
        self._chats[chat_id] = chat

    def topics(self, chat_id: int) -> list[JSONDict]:
        """The forum topics made in a chat, oldest first: their service messages."""
        return [copy.deepcopy(m) for (chat, _), m in sorted(self._topics.items()) if chat == chat_id]

    def add_file(self, content: bytes, *, file_path: str | None = None) -> str:
        """Store a file on the fake's "servers" and return its file_id, for getFile and downloads."""
        return self._store_file(content, file_path or f"documents/file_{next(self._file_numbers)}").file_id

    # ---- building updates -------------------------------------------------------------------

    def message_update(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        chat_type: str = "private",
        language_code: str = "zh-hans",
        first_name: str = "测试用户",
        username: str | None = None,
        chat_title: str | None = None,
        entities: list[JSONDict] | None = None,
        reply_to_message: Mapping[str, Any] | None = None,
        update_id: int | None = None,
        message_id: int | None = None,
        message_thread_id: int | None = None,
    ) -> JSONDict:
        """Return an update with a text message from a user.

        /commands, @mentions and links get entities unless ``entities`` is given. With
        ``message_thread_id`` the message is written in that forum topic: without another
        ``reply_to_message`` it replies to the topic's service message, as in Telegram.
        Raises ValueError if the chat id does not fit ``chat_type`` or there is no such topic.
        """
        content: JSONDict = {"text": text}
        found = _detect_entities(text) if entities is None else entities
        if found:
            content["entities"] = found
        if message_thread_id is not None:
            topic = self._topics.get((chat_id, message_thread_id))
            if topic is None:
                raise ValueError(f"chat {chat_id} has no topic {message_thread_id}")
            content.update(message_thread_id=message_thread_id, is_topic_message=True)
            if reply_to_message is None:
                reply_to_message = topic
        if reply_to_message is not None:
            content["reply_to_message"] = self._as_reply(reply_to_message)
        return self._user_update(
            chat_id,
            user_id,
            content,
            chat_type=chat_type,
            language_code=language_code,
            first_name=first_name,
            username=username,
            chat_title=chat_title,
            update_id=update_id,
            message_id=message_id,
        )

    def edited_message_update(
        self, message: Mapping[str, Any], text: str, *, update_id: int | None = None
    ) -> JSONDict:
        """Return an update telling that a user edited ``message`` (a Message, or an update holding one)."""
        original = dict(message.get("message", message))
        edited: JSONDict = {**copy.deepcopy(original), "text": text, "edit_date": self._now()}
        found = _detect_entities(text)
        if found:
            edited["entities"] = found
        else:
            edited.pop("entities", None)
        kind = "edited_channel_post" if original["chat"]["type"] == "channel" else "edited_message"
        return {"update_id": self._new_update_id(update_id), kind: edited}

    def sticker_update(
        self,
        chat_id: int,
        user_id: int,
        *,
        emoji: str = "👍",
        set_name: str | None = None,
        chat_type: str = "private",
        language_code: str = "zh-hans",
        update_id: int | None = None,
    ) -> JSONDict:
        """Return an update with a sticker message from a user."""
        stored = self._store_file(b"RIFF fake webp sticker", f"stickers/file_{next(self._file_numbers)}.webp")
        sticker: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": len(stored.content),
        }
        if set_name is not None:
            sticker["set_name"] = set_name
        return self._user_update(
            chat_id,
            user_id,
            {"sticker": sticker},
            chat_type=chat_type,
            language_code=language_code,
            update_id=update_id,
        )

    def photo_update(
        self,
        chat_id: int,
        user_id: int,
        *,
        caption: str | None = None,
        content: bytes = b"\xff\xd8\xff\xe0 fake jpeg",
        chat_type: str = "private",
        language_code: str = "zh-hans",
        update_id: int | None = None,
    ) -> JSONDict:
        """Return an update with a photo from a user; getFile and downloads serve ``content``."""
        message: JSONDict = {"photo": self._new_photo(content)}
        if caption is not None:
            message["caption"] = caption
            found = _detect_entities(caption)
            if found:
                message["caption_entities"] = found
        return self._user_update(
            chat_id,
            user_id,
            message,
            chat_type=chat_type,
            language_code=language_code,
            update_id=update_id,
        )

    def voice_update(
        self,
        chat_id: int,
        user_id: int,
        *,
        duration: int = 3,
        content: bytes = b"OggS fake opus voice",
        chat_type: str = "private",
        language_code: str = "zh-hans",
        update_id: int | None = None,
    ) -> JSONDict:
        """Return an update with a voice message from a user; downloads serve ``content``."""
        stored = self._store_file(content, f"voice/file_{next(self._file_numbers)}.oga")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(content),
        }
        return self._user_update(
            chat_id,
            user_id,
            {"voice": voice},
            chat_type=chat_type,
            language_code=language_code,
            update_id=update_id,
        )

    def callback_update(
        self,
        chat_id: int,
        user_id: int,
        data: str,
        *,
        message: Mapping[str, Any] | None = None,
        language_code: str = "zh-hans",
        first_name: str = "测试用户",
        username: str | None = None,
        update_id: int | None = None,
    ) -> JSONDict:
        """Return an update with a user's press of an inline button carrying ``data``.

        ``message`` defaults to the bot's latest message with an inline keyboard in the chat;
        ``data`` is not checked against its buttons, so stale or forged data can be sent.
        Raises ValueError if there is no such message.
        """
        shown = (
            self._current_version(message) if message is not None else self._latest_keyboard_message(chat_id)
        )
        query = {
            "id": str(next(self._callback_query_ids)),
            "from": self._user(user_id, first_name, username, language_code),
            "message": shown,
            "chat_instance": str(abs(chat_id) * 7919 % 10**18),
            "data": data,
        }
        return {"update_id": self._new_update_id(update_id), "callback_query": query}

    def button_press_update(
        self,
        chat_id: int,
        user_id: int,
        button_text: str,
        *,
        message: Mapping[str, Any] | None = None,
        language_code: str = "zh-hans",
        update_id: int | None = None,
    ) -> JSONDict:
        """Return a `callback_update` for the inline button labelled ``button_text``.

        Raises LookupError if the message has no such button, ValueError if it has no callback data.
        """
        shown = (
            self._current_version(message) if message is not None else self._latest_keyboard_message(chat_id)
        )
        button = find_button(shown, button_text)
        if "callback_data" not in button:
            raise ValueError(f"button {button_text!r} opens {button} and sends no callback data")
        return self.callback_update(
            chat_id,
            user_id,
            button["callback_data"],
            message=shown,
            language_code=language_code,
            update_id=update_id,
        )

    def my_chat_member_update(
        self,
        chat_id: int,
        user_id: int,
        *,
        new_status: str = "kicked",
        old_status: str = "member",
        chat_type: str = "group",
        chat_title: str | None = None,
        update_id: int | None = None,
    ) -> JSONDict:
        """Return an update telling that ``user_id`` changed the bot's membership of a chat.

        The default is the bot being removed from a group. In a private chat, "kicked" means
        the user blocked the bot. Once pushed, later calls about the chat fail as they would.
        """
        bot = {key: self.bot_user[key] for key in ("id", "is_bot", "first_name", "username")}
        change = {
            "chat": self._chat_of(
                chat_id, user_id, chat_type, chat_title, first_name="测试用户", username=None
            ),
            "from": self._user(user_id, "测试用户", None, "zh-hans"),
            "date": self._now(),
            "old_chat_member": _chat_member(bot, old_status),
            "new_chat_member": _chat_member(bot, new_status),
        }
        return {"update_id": self._new_update_id(update_id), "my_chat_member": change}

    def channel_post_update(
        self,
        chat_id: int,
        text: str,
        *,
        title: str = "测试频道",
        username: str | None = None,
        update_id: int | None = None,
    ) -> JSONDict:
        """Return an update with a post in a channel. Raises ValueError for a non-channel id."""
        if not str(chat_id).startswith("-100"):
            raise ValueError(f"channel ids look like -100xxxxxxxxxx, got {chat_id}")
        chat: JSONDict = {"id": chat_id, "type": "channel", "title": title}
        if username is not None:
            chat["username"] = username
        post: JSONDict = {
            "message_id": self._next_message_id(chat_id),
            "sender_chat": chat,
            "chat": chat,
            "date": self._now(),
            "text": text,
        }
        found = _detect_entities(text)
        if found:
            post["entities"] = found
        return {"update_id": self._new_update_id(update_id), "channel_post": post}

    # ---- delivering updates -----------------------------------------------------------------

    async def push_update(
        self,
        update: Mapping[str, Any],
        *,
        forged_secret: str | None = None,
        omit_secret: bool = False,
    ) -> int | None:
        """Deliver ``update`` the way Telegram would and return the webhook's HTTP status.

        Without a webhook the update is queued for getUpdates and None is returned. With one it
        is POSTed with the secret given to setWebhook, or ``forged_secret``, or no secret header
        if ``omit_secret``. An update whose type is not allowed is kept in ``discarded_updates``.
        Pushing an update_id seen before delivers it again, on purpose.
        Raises RuntimeError if the webhook is not on this machine and no ``webhook_redirect`` is set.
        """
        pushed = copy.deepcopy(dict(update))
        if "update_id" not in pushed:
            pushed["update_id"] = next(self._update_ids)
        update_id = int(pushed["update_id"])
        replayed = update_id in self._seen_update_ids
        self._seen_update_ids.add(update_id)
        kind = _update_kind(pushed)
        self._absorb(kind, pushed[kind])
        if not self._wanted(kind):
            self.discarded_updates.append(pushed)
            return None
        if self._webhook is not None:
            return await self._post_to_webhook(self._webhook, pushed, forged_secret, omit_secret)
        async with self._updates_changed:
            self._pending.append(_Pending(update=pushed, replayed=replayed))
            self._updates_changed.notify_all()
        return None

    async def deliver(self, update: Mapping[str, Any]) -> int:
        """Deliver ``update`` as Telegram does to a webhook: POST it until the bot answers 200.

        After a failed connection or an answer other than 200 it waits for the next setWebhook
        (a restarted bot registering) before trying again; a 4xx other than 429 is final, as on
        the real server, and returned. Returns the final status."""
        pushed = copy.deepcopy(dict(update))
        if "update_id" not in pushed:
            pushed["update_id"] = next(self._update_ids)
        kind = _update_kind(pushed)
        self._absorb(kind, pushed[kind])
        while True:
            generation = self._webhook_generation
            webhook = self._webhook
            status = 0
            if webhook is not None:
                with contextlib.suppress(OSError, TimeoutError, ClientError):
                    status = await self._post_to_webhook(webhook, pushed, None, False)
            if status == 200 or (400 <= status < 500 and status != 429):
                return status
            await self._webhook_set_since(generation)

    async def _webhook_set_since(self, generation: int) -> None:
        async with self._webhook_changed:
            await self._webhook_changed.wait_for(lambda: self._webhook_generation != generation)

    async def _post_to_webhook(
        self, webhook: Webhook, update: JSONDict, forged_secret: str | None, omit_secret: bool
    ) -> int:
        url = self.webhook_redirect or webhook.url
        host = urlsplit(url).hostname
        if host not in _LOCAL_HOSTS:
            raise RuntimeError(
                f"the webhook {url} is not on this machine; set webhook_redirect to the local server"
            )
        secret = (
            None if omit_secret else (forged_secret if forged_secret is not None else webhook.secret_token)
        )
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[_WEBHOOK_HEADER] = secret
        if self._session is None:
            raise RuntimeError("start the fake Bot API server first")
        body = json.dumps(update, ensure_ascii=False).encode("utf-8")
        async with self._session.post(url, data=body, headers=headers) as response:
            await response.read()
            status = response.status
        if status == 200:
            self.acknowledged.add(int(update["update_id"]))
        self.webhook_deliveries.append(
            WebhookDelivery(update_id=update["update_id"], url=url, secret_token_sent=secret, status=status)
        )
        return status

    def _wanted(self, kind: str) -> bool:
        if not self._allowed_updates:
            return kind not in _NOT_SENT_BY_DEFAULT
        return kind in self._allowed_updates

    def _absorb(self, kind: str, payload: JSONDict) -> None:
        """Apply what an update tells about the world: messages exist, buttons were pressed, ..."""
        if kind in _MESSAGE_KINDS:
            self._remember_message(payload)
        elif kind == "callback_query":
            self._callback_queries[payload["id"]] = False
            self._users[payload["from"]["id"]] = payload["from"]
        elif kind == "my_chat_member":
            chat = payload["chat"]
            self._chats[chat["id"]] = chat
            status = payload["new_chat_member"]["status"]
            self._bot_statuses[chat["id"]] = status
            if status in ("member", "administrator", "creator"):
                self._chat_failures.pop(chat["id"], None)
            elif chat["type"] == "private":
                self._chat_failures[chat["id"]] = BOT_BLOCKED
            elif status == "kicked":
                self._chat_failures[chat["id"]] = (
                    BOT_KICKED_FROM_SUPERGROUP if chat["type"] == "supergroup" else BOT_KICKED
                )
            else:
                self._chat_failures[chat["id"]] = self._not_member(chat)

    # ---- HTTP -------------------------------------------------------------------------------

    async def _handle_method(self, request: web.Request) -> web.Response:
        arrived = self._clock()
        requested = request.match_info["method"]
        known = self._methods.get(requested.lower())
        method_name = known[0] if known is not None else requested
        params: JSONDict = {}
        files: dict[str, UploadedFile] = {}
        answer = _Answer(None)
        error: ApiError | None = None
        try:
            params, files = await self._read_params(request)
            if request.match_info["token"] != self.token:
                raise _Refusal(_UNAUTHORIZED)
            if known is None:
                raise _Refusal(_NOT_FOUND)
            self._check_injected(method_name)
            if params.get("chat_id") is not None:
                chat = self._resolve(_chat_key(params["chat_id"]))
                failure = self._chat_failures.get(chat)
                if failure is not None:
                    raise _Refusal(failure)
                self._check_flood(method_name, chat)
            outcome = await known[1](_Params(params, files))
            answer = outcome if isinstance(outcome, _Answer) else _Answer(outcome)
            garbled = self._garbled.get(method_name)
            if garbled:
                answer = _Answer(garbled.popleft())
        except _Refusal as refusal:
            error = refusal.error
        status = 200 if error is None else error.error_code
        result = answer.result if error is None else None
        call = Call(method_name, params, files, arrived, status, result, error)
        async with self._calls_changed:
            self._calls.append(call)
            self._calls_changed.notify_all()
        if error is not None:
            body = error.as_json()
        else:
            body = {"ok": True, "result": result}
            if answer.description is not None:
                body["description"] = answer.description
        return web.json_response(body, status=status, dumps=functools.partial(json.dumps, ensure_ascii=False))

    async def _read_params(self, request: web.Request) -> tuple[JSONDict, dict[str, UploadedFile]]:
        params: JSONDict = {name: _decode_form_value(name, value) for name, value in request.query.items()}
        files: dict[str, UploadedFile] = {}
        if not request.can_read_body:
            return params, files
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise _bad_request("can't parse JSON object")
            params.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, FileField):
                    files[name] = UploadedFile(name, value.filename, value.content_type, value.file.read())
                else:
                    text = value if isinstance(value, str) else bytes(value).decode("utf-8")
                    params[name] = _decode_form_value(name, text)
        return params, files

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(_UNAUTHORIZED.as_json(), status=401)
        stored = self._files_by_path.get(request.match_info["path"])
        if stored is None:
            return web.json_response(_NOT_FOUND.as_json(), status=404)
        return web.Response(body=stored.content, content_type="application/octet-stream")

    def _check_injected(self, method: str) -> None:
        for injection in self._injections:
            if injection.remaining > 0 and (
                injection.method is None or injection.method.lower() == method.lower()
            ):
                injection.remaining -= 1
                self._injections = [item for item in self._injections if item.remaining > 0]
                raise _Refusal(injection.error)

    def _check_flood(self, method: str, chat: int | str) -> None:
        limits = self._flood_limits
        if limits is None or method not in limits.methods:
            return
        now = self._clock()
        overall = self._flood_overall
        while overall and overall[0] <= now - 1.0:
            overall.popleft()
        group: deque[float] | None = None
        if isinstance(chat, str) or chat < 0:
            group = self._flood_groups.setdefault(chat, deque())
            while group and group[0] <= now - 60.0:
                group.popleft()
        if group is not None and len(group) >= limits.group_messages_per_minute:
            wait = group[0] + 60.0 - now
        elif len(overall) >= limits.messages_per_second:
            wait = overall[0] + 1.0 - now
        else:
            overall.append(now)
            if group is not None:
                group.append(now)
            return
        self._flood_refusals += 1
        raise _Refusal(too_many_requests(max(1, math.ceil(wait))))

    # ---- Bot API methods --------------------------------------------------------------------

    async def _get_me(self, params: _Params) -> JSONDict:
        return self.bot_user

    async def _get_updates(self, params: _Params) -> list[JSONDict]:
        if self._webhook is not None:
            raise _Refusal(
                ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            )
        offset = params.integer("offset") or 0
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = max(params.number("timeout", 0.0), 0.0)
        allowed = params.structure("allowed_updates")
        if allowed is not None:
            self._allowed_updates = tuple(allowed)
        async with self._updates_changed:
            # A newer getUpdates ends the one waiting, as on the real server.
            self._poll_generation += 1
            generation = self._poll_generation
            self._updates_changed.notify_all()
            self._confirm(offset)
            if timeout > 0 and not self._pending and not self._closing:
                self._polls_waiting += 1
                self._updates_changed.notify_all()
                try:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(timeout):
                            await self._updates_changed.wait_for(
                                lambda: (
                                    self._closing
                                    or generation != self._poll_generation
                                    or bool(self._pending)
                                )
                            )
                finally:
                    self._polls_waiting -= 1
            if generation != self._poll_generation:
                raise _Refusal(
                    ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
                )
            batch = self._pending[:limit]
            for pending in batch:
                pending.delivered = True
            return [copy.deepcopy(pending.update) for pending in batch]

    def _confirm(self, offset: int) -> None:
        """Forget updates confirmed by ``offset``, as getUpdates documents."""
        if offset > 0:
            self.acknowledged.update(
                p.update["update_id"] for p in self._pending if p.update["update_id"] < offset
            )
            self._pending = [
                pending
                for pending in self._pending
                if pending.update["update_id"] >= offset or (pending.replayed and not pending.delivered)
            ]
        elif offset < 0:
            self._pending = self._pending[offset:]

    async def _set_webhook(self, params: _Params) -> _Answer:
        url = params.text("url") or ""
        if not url:
            return await self._delete_webhook(params)
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise _bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        secret = params.text("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _bad_request("secret token contains unallowed characters")
        allowed = params.structure("allowed_updates")
        if allowed is not None:
            self._allowed_updates = tuple(allowed)
        if params.flag("drop_pending_updates"):
            self._pending.clear()
        webhook = Webhook(
            url=url,
            secret_token=secret,
            max_connections=params.integer("max_connections") or 40,
            ip_address=params.text("ip_address"),
            has_custom_certificate="certificate" in params.files,
        )
        already = self._webhook == webhook
        self._webhook = webhook
        self._webhook_generation += 1
        async with self._webhook_changed:
            self._webhook_changed.notify_all()
        return _Answer(True, "Webhook is already set" if already else "Webhook was set")

    async def _delete_webhook(self, params: _Params) -> _Answer:
        if params.flag("drop_pending_updates"):
            self._pending.clear()
        was_set = self._webhook is not None
        self._webhook = None
        return _Answer(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    async def _get_webhook_info(self, params: _Params) -> JSONDict:
        info: JSONDict = {
            "url": self._webhook.url if self._webhook is not None else "",
            "has_custom_certificate": self._webhook is not None and self._webhook.has_custom_certificate,
            "pending_update_count": len(self._pending),
        }
        if self._webhook is not None:
            info["max_connections"] = self._webhook.max_connections
            if self._webhook.ip_address:
                info["ip_address"] = self._webhook.ip_address
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
        return info

    def _scope_key(self, scope: Any) -> tuple[str, int | None, int | None]:
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise _bad_request("wrong parameter scope")
        kind: str = scope["type"]
        chat: int | None = None
        user: int | None = None
        if kind in ("chat", "chat_administrators", "chat_member"):
            key = self._resolve(_chat_key(scope.get("chat_id")))
            if not isinstance(key, int):
                raise _Refusal(CHAT_NOT_FOUND)
            chat = key
        if kind == "chat_member":
            user = _Params(scope, {}).required_integer("user_id")
        return kind, chat, user

    async def _set_my_commands(self, params: _Params) -> bool:
        commands = params.structure("commands")
        if not isinstance(commands, list):
            raise _bad_request("parameter commands is required")
        if len(commands) > 100:
            raise _bad_request("too many commands specified")
        cleaned = []
        for command in commands:
            if not isinstance(command, dict) or not re.fullmatch(
                r"[a-z0-9_]{1,32}", command.get("command", "")
            ):
                raise _bad_request("BOT_COMMAND_INVALID")
            description = command.get("description", "")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": command["command"], "description": description})
        key = (
            self._scope_key(params.structure("scope") or {"type": "default"}),
            params.text("language_code") or "",
        )
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: _Params) -> list[JSONDict]:
        key = self._scope_key(params.structure("scope") or {"type": "default"})
        return copy.deepcopy(self._commands.get((key, params.text("language_code") or ""), []))

    async def _delete_my_commands(self, params: _Params) -> bool:
        key = self._scope_key(params.structure("scope") or {"type": "default"})
        self._commands.pop((key, params.text("language_code") or ""), None)
        return True

    async def _send_message(self, params: _Params) -> JSONDict:
        chat = self._target_chat(params)
        text, entities = _format_text(
            params.text("text") or "", params.text("parse_mode"), params.get("entities")
        )
        if not text.strip():
            raise _bad_request("message text is empty")
        if _utf16_len(text) > 4096:
            raise _bad_request("message is too long")
        content: JSONDict = {"text": text}
        if entities:
            content["entities"] = entities
        return self._bot_sends(chat, content, params)

    async def _send_photo(self, params: _Params) -> JSONDict:
        chat = self._target_chat(params)
        content: JSONDict = {"photo": self._photo_from(params)}
        content.update(self._caption(params))
        return self._bot_sends(chat, content, params)

    async def _send_document(self, params: _Params) -> JSONDict:
        chat = self._target_chat(params)
        content: JSONDict = {"document": self._document_from(params)}
        content.update(self._caption(params))
        return self._bot_sends(chat, content, params)

    def _caption(self, params: _Params) -> JSONDict:
        caption = params.text("caption")
        if not caption:
            return {}
        text, entities = _format_text(caption, params.text("parse_mode"), params.get("caption_entities"))
        if _utf16_len(text) > CAPTION_LIMIT:
            raise _bad_request("message caption is too long")
        shown: JSONDict = {"caption": text}
        if entities:
            shown["caption_entities"] = entities
        return shown

    def _bot_sends(self, chat: JSONDict, content: JSONDict, params: _Params) -> JSONDict:
        """Store and return a message the bot sent, with its reply target and inline keyboard,
        in its forum topic (given, or the replied message's)."""
        markup = params.structure("reply_markup")
        inline = self._inline_keyboard(markup)
        reply_to = self._reply_target(chat, params)
        thread = params.integer("message_thread_id")
        if thread is None and reply_to is not None and reply_to.get("is_topic_message"):
            thread = reply_to.get("message_thread_id")
        if thread is not None:
            topic = self._topics.get((chat["id"], thread)) if chat.get("is_forum") else None
            if topic is None:
                raise _bad_request("message thread not found")
            if reply_to is None:
                reply_to = self._as_reply(topic)
        message: JSONDict = {
            "message_id": self._next_message_id(chat["id"]),
            "from": {key: self.bot_user[key] for key in ("id", "is_bot", "first_name", "username")},
            "chat": chat,
            "date": self._now(),
        }
        if thread is not None:
            message.update(message_thread_id=thread, is_topic_message=True)
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(content)
        if inline is not None:
            message["reply_markup"] = inline
        if isinstance(markup, dict) and "keyboard" in markup:
            self._reply_keyboards[chat["id"]] = markup
        elif isinstance(markup, dict) and markup.get("remove_keyboard"):
            self._reply_keyboards.pop(chat["id"], None)
        self._messages[(chat["id"], message["message_id"])] = copy.deepcopy(message)
        return message

    async def _edit_message_text(self, params: _Params) -> JSONDict | bool:
        text, entities = _format_text(
            params.text("text") or "", params.text("parse_mode"), params.get("entities")
        )
        if not text.strip():
            raise _bad_request("message text is empty")
        inline = self._inline_keyboard(params.structure("reply_markup"))
        if params.text("inline_message_id"):
            return True
        stored = self._editable_message(params)
        if "text" not in stored:
            raise _bad_request("there is no text in the message to edit")
        if (stored["text"], stored.get("entities", []), stored.get("reply_markup")) == (
            text,
            entities,
            inline,
        ):
            raise _bad_request(_NOT_MODIFIED)
        edited = {key: value for key, value in stored.items() if key not in ("entities", "reply_markup")}
        edited.update(text=text, edit_date=self._now())
        if entities:
            edited["entities"] = entities
        if inline is not None:
            edited["reply_markup"] = inline
        self._messages[(stored["chat"]["id"], stored["message_id"])] = copy.deepcopy(edited)
        return edited

    async def _edit_message_reply_markup(self, params: _Params) -> JSONDict | bool:
        inline = self._inline_keyboard(params.structure("reply_markup"))
        if params.text("inline_message_id"):
            return True
        stored = self._editable_message(params)
        if stored.get("reply_markup") == inline:
            raise _bad_request(_NOT_MODIFIED)
        edited = {key: value for key, value in stored.items() if key != "reply_markup"}
        edited["edit_date"] = self._now()
        if inline is not None:
            edited["reply_markup"] = inline
        self._messages[(stored["chat"]["id"], stored["message_id"])] = copy.deepcopy(edited)
        return edited

    def _editable_message(self, params: _Params) -> JSONDict:
        chat = self._target_chat(params)
        stored = self._messages.get((chat["id"], params.required_integer("message_id")))
        if stored is None:
            raise _bad_request("message to edit not found")
        if stored.get("from", {}).get("id") != self.bot_id:
            raise _bad_request("message can't be edited")
        return stored

    async def _delete_message(self, params: _Params) -> bool:
        chat = self._target_chat(params)
        key = (chat["id"], params.required_integer("message_id"))
        stored = self._messages.get(key)
        if stored is None:
            raise _bad_request("message to delete not found")
        sender = stored.get("from", {}).get("id")
        if chat["type"] != "private" and sender != self.bot_id and not self._bot_is_admin(chat["id"]):
            raise _bad_request("message can't be deleted")
        del self._messages[key]
        return True

    async def _answer_callback_query(self, params: _Params) -> bool:
        query_id = params.text("callback_query_id") or ""
        if self._callback_queries.get(query_id) is not False:
            raise _bad_request("query is too old and response timeout expired or query ID is invalid")
        self._callback_queries[query_id] = True
        return True

    async def _send_chat_action(self, params: _Params) -> bool:
        self._target_chat(params)
        if params.text("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    async def _get_file(self, params: _Params) -> JSONDict:
        stored = self._files.get(params.text("file_id") or "")
        if stored is None:
            raise _bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    async def _get_chat(self, params: _Params) -> JSONDict:
        chat = self._target_chat(params)
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _get_chat_member(self, params: _Params) -> JSONDict:
        chat = self._target_chat(params)
        user_id = params.required_integer("user_id")
        if user_id == self.bot_id:
            user = {key: self.bot_user[key] for key in ("id", "is_bot", "first_name", "username")}
        else:
            user = self._users.get(user_id) or {
                "id": user_id,
                "is_bot": False,
                "first_name": f"User {user_id}",
            }
        return _chat_member(user, self._member_status(chat, user_id))

    async def _get_chat_administrators(self, params: _Params) -> list[JSONDict]:
        chat = self._target_chat(params)
        if chat["type"] == "private":
            raise _bad_request("there are no administrators in the private chat")
        admins = self._admins.get(chat["id"])
        if admins is None:
            return []
        ids = ([admins.owner_id] if admins.owner_id is not None else []) + admins.admin_ids
        return [
            await self._get_chat_member(_Params({"chat_id": chat["id"], "user_id": uid}, {})) for uid in ids
        ]

    async def _create_forum_topic(self, params: _Params) -> JSONDict:
        chat = self._target_chat(params)
        if not chat.get("is_forum"):
            raise _bad_request("the chat is not a forum")
        if not self._bot_is_admin(chat["id"]):
            raise _bad_request("not enough rights to create a topic")
        name = params.text("name") or ""
        if not name.strip():
            raise _bad_request("TOPIC_NAME_EMPTY")
        if len(name) > 128:
            raise _bad_request("TOPIC_NAME_INVALID")
        color = params.integer("icon_color") or 7322096
        thread = self._next_message_id(chat["id"])
        service: JSONDict = {
            "message_id": thread,
            "from": {key: self.bot_user[key] for key in ("id", "is_bot", "first_name", "username")},
            "chat": chat,
            "date": self._now(),
            "message_thread_id": thread,
            "forum_topic_created": {"name": name, "icon_color": color},
            "is_topic_message": True,
        }
        self._topics[(chat["id"], thread)] = copy.deepcopy(service)
        self._messages[(chat["id"], thread)] = copy.deepcopy(service)
        return {"message_thread_id": thread, "name": name, "icon_color": color}

    async def _leave_chat(self, params: _Params) -> bool:
        chat = self._target_chat(params)
        if chat["type"] == "private":
            raise _bad_request("chat member status can't be changed in private chats")
        self._bot_statuses[chat["id"]] = "left"
        self._chat_failures[chat["id"]] = self._not_member(chat)
        return True

    # ---- the world's state ------------------------------------------------------------------

    def _now(self) -> int:
        return int(self._wall_clock())

    def _new_update_id(self, update_id: int | None) -> int:
        return update_id if update_id is not None else next(self._update_ids)

    def _next_message_id(self, chat_id: int) -> int:
        number = self._message_ids.get(chat_id, 0) + 1
        self._message_ids[chat_id] = number
        return number

    def _user(
        self, user_id: int, first_name: str, username: str | None, language_code: str | None
    ) -> JSONDict:
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username is not None:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return user

    def _chat_of(
        self,
        chat_id: int,
        user_id: int,
        chat_type: str,
        chat_title: str | None,
        *,
        first_name: str,
        username: str | None,
    ) -> JSONDict:
        """Return the Chat object of an incoming update. Raises ValueError for an impossible chat."""
        if chat_type == "private":
            if chat_id != user_id:
                raise ValueError(f"a private chat's id is the user's id: got chat {chat_id}, user {user_id}")
            chat: JSONDict = {"id": chat_id, "type": "private", "first_name": first_name}
            if username is not None:
                chat["username"] = username
            return chat
        if chat_type == "group" and chat_id < 0 and not str(chat_id).startswith("-100"):
            return {"id": chat_id, "type": "group", "title": chat_title or f"测试群 {chat_id}"}
        if chat_type == "supergroup" and str(chat_id).startswith("-100"):
            known = self._chats.get(chat_id, {})
            made: JSONDict = {
                "id": chat_id,
                "type": "supergroup",
                "title": chat_title or f"测试超级群 {chat_id}",
            }
            if known.get("is_forum"):
                made.update(title=chat_title or known.get("title", made["title"]), is_forum=True)
            return made
        if chat_type == "channel" and str(chat_id).startswith("-100"):
            return {"id": chat_id, "type": "channel", "title": chat_title or f"测试频道 {chat_id}"}
        raise ValueError(
            f"chat {chat_id} cannot be a {chat_type!r} chat: private chats have the user's id, "
            "groups a negative id, supergroups and channels an id starting with -100"
        )

    def _user_update(
        self,
        chat_id: int,
        user_id: int,
        content: JSONDict,
        *,
        chat_type: str,
        language_code: str,
        first_name: str = "测试用户",
        username: str | None = None,
        chat_title: str | None = None,
        update_id: int | None = None,
        message_id: int | None = None,
    ) -> JSONDict:
        chat = self._chat_of(
            chat_id, user_id, chat_type, chat_title, first_name=first_name, username=username
        )
        message: JSONDict = {
            "message_id": message_id if message_id is not None else self._next_message_id(chat_id),
            "from": self._user(user_id, first_name, username, language_code),
            "chat": chat,
            "date": self._now(),
            **content,
        }
        return {"update_id": self._new_update_id(update_id), "message": message}

    def _remember_message(self, message: JSONDict) -> None:
        chat = message["chat"]
        self._chats[chat["id"]] = chat
        sender = message.get("from")
        if sender is not None:
            self._users[sender["id"]] = sender
        self._message_ids[chat["id"]] = max(self._message_ids.get(chat["id"], 0), message["message_id"])
        self._messages[(chat["id"], message["message_id"])] = copy.deepcopy(message)

    def _as_reply(self, message: Mapping[str, Any]) -> JSONDict:
        """Return a message as it appears in reply_to_message: one level deep."""
        shown = dict(message.get("message", message))
        shown.pop("reply_to_message", None)
        return shown

    def _current_version(self, message: Mapping[str, Any]) -> JSONDict:
        shown = dict(message.get("message", message))
        stored = self._messages.get((shown["chat"]["id"], shown["message_id"]))
        return copy.deepcopy(stored) if stored is not None else shown

    def _latest_keyboard_message(self, chat_id: int) -> JSONDict:
        for (chat, _), message in sorted(self._messages.items(), reverse=True):
            if (
                chat == chat_id
                and message.get("from", {}).get("id") == self.bot_id
                and "reply_markup" in message
            ):
                return copy.deepcopy(message)
        raise ValueError(
            f"the bot has sent no message with an inline keyboard to chat {chat_id}; pass message="
        )

    def _resolve(self, key: int | str) -> int | str:
        """Return the numeric id of a known "@username" chat, else the key unchanged."""
        if isinstance(key, str):
            for chat in self._chats.values():
                if f"@{chat.get('username', '')}".lower() == key:
                    return int(chat["id"])
        return key

    def _chat_for(self, key: int | str) -> JSONDict:
        """Return the Chat object for an id, inventing one from the id's shape if never seen."""
        resolved = self._resolve(key)
        if isinstance(resolved, str):
            raise _Refusal(CHAT_NOT_FOUND)
        chat = self._chats.get(resolved)
        if chat is None:
            if resolved > 0:
                user = self._users.get(resolved, {})
                chat = {
                    "id": resolved,
                    "type": "private",
                    "first_name": user.get("first_name", f"User {resolved}"),
                }
            elif str(resolved).startswith("-100"):
                chat = {"id": resolved, "type": "supergroup", "title": f"Supergroup {resolved}"}
            else:
                chat = {"id": resolved, "type": "group", "title": f"Group {resolved}"}
            self._chats[resolved] = chat
        return copy.deepcopy(chat)

    def _target_chat(self, params: _Params) -> JSONDict:
        value = params.get("chat_id")
        if value is None or value == "":
            raise _bad_request("chat_id is empty")
        return self._chat_for(_chat_key(value))

    def _not_member(self, chat: JSONDict) -> ApiError:
        return ApiError(403, f"Forbidden: bot is not a member of the {chat['type']} chat")

    def _bot_is_admin(self, chat_id: int) -> bool:
        admins = self._admins.get(chat_id)
        return admins is not None and self.bot_id in admins.admin_ids

    def _member_status(self, chat: JSONDict, user_id: int) -> str:
        admins = self._admins.get(chat["id"])
        if admins is not None and user_id == admins.owner_id:
            return "creator"
        if admins is not None and user_id in admins.admin_ids:
            return "administrator"
        if user_id == self.bot_id:
            return self._bot_statuses.get(chat["id"], "member")
        return "member"

    def _inline_keyboard(self, markup: Any) -> JSONDict | None:
        """Return the inline keyboard to echo in the Message (Telegram echoes no other markup)."""
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            return None
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise _bad_request("can't parse inline keyboard button: Text buttons are unallowed")
                if len(button) < 2:
                    raise _bad_request("can't parse inline keyboard button: Text buttons are unallowed")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                    raise _bad_request("BUTTON_DATA_INVALID")
        return {"inline_keyboard": rows}

    def _reply_target(self, chat: JSONDict, params: _Params) -> JSONDict | None:
        reply = params.structure("reply_parameters")
        if isinstance(reply, dict):
            message_id = _Params(reply, {}).required_integer("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply"))
            target_chat = self._chat_for(_chat_key(reply["chat_id"])) if "chat_id" in reply else chat
        else:
            legacy = params.integer("reply_to_message_id")
            if legacy is None:
                return None
            message_id, allow_missing, target_chat = legacy, params.flag("allow_sending_without_reply"), chat
        stored = self._messages.get((target_chat["id"], message_id))
        if stored is None:
            if allow_missing:
                return None
            raise _bad_request("message to be replied not found")
        return self._as_reply(copy.deepcopy(stored))

    def _store_file(self, content: bytes, file_path: str) -> _StoredFile:
        number = next(self._file_numbers)
        stored = _StoredFile(
            file_id=f"FAKEFILE{number:08d}AgADxyz",
            file_unique_id=f"AQAD{number:06d}",
            file_path=file_path,
            content=content,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[file_path] = stored
        return stored

    def _new_photo(self, content: bytes, dimensions: tuple[int, int] | None = None) -> list[JSONDict]:
        """Store a photo and return its PhotoSize list, smallest first; every size serves the
        same bytes. With the photo's (width, height), the sizes are those Telegram makes:
        the photo scaled into boxes of 90, 320, 800 and 1280 pixels, never enlarged."""
        if dimensions is None:
            shapes = [(90, 67), (1280, 960)]
        else:
            width, height = dimensions
            shapes = []
            for box in _PHOTO_BOXES:
                scale = min(1.0, box / max(width, height))
                shape = (max(1, round(width * scale)), max(1, round(height * scale)))
                if shape not in shapes:
                    shapes.append(shape)
        sizes: list[JSONDict] = []
        for width, height in shapes:
            stored = self._store_file(content, f"photos/file_{next(self._file_numbers)}.jpg")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": len(content),
                }
            )
        for size in sizes:
            self._photos[size["file_id"]] = sizes
        return copy.deepcopy(sizes)

    def _uploaded_photo(self, upload: UploadedFile) -> list[JSONDict]:
        """Check an uploaded photo as the Bot API does; store it and return its sizes."""
        content = upload.content
        if len(content) > PHOTO_LIMIT_BYTES:
            raise _bad_request("PHOTO_SAVE_FILE_INVALID")
        try:
            with Image.open(io.BytesIO(content)) as picture:
                width, height = picture.size
                picture.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise _bad_request("IMAGE_PROCESS_FAILED") from None
        if (
            width + height > PHOTO_MAX_DIMENSIONS
            or max(width, height) > PHOTO_MAX_RATIO * max(1, min(width, height))
            or min(width, height) < 1
        ):
            raise _bad_request("PHOTO_INVALID_DIMENSIONS")
        return self._new_photo(content, (width, height))

    def _photo_from(self, params: _Params) -> list[JSONDict]:
        """Return the sizes of the photo given as an upload, an attach:// name, a file_id or a URL."""
        if "photo" in params.files:
            return self._uploaded_photo(params.files["photo"])
        photo = params.text("photo") or ""
        if photo.startswith("attach://") and photo.removeprefix("attach://") in params.files:
            return self._uploaded_photo(params.files[photo.removeprefix("attach://")])
        if photo in self._photos:
            return copy.deepcopy(self._photos[photo])
        if urlsplit(photo).scheme in ("http", "https"):
            return self._new_photo(b"")  # not fetched: the fake makes no outside requests
        if not photo:
            raise _bad_request("there is no photo in the request")
        raise _bad_request("wrong file identifier/HTTP URL specified")

    def _document_from(self, params: _Params) -> JSONDict:
        """Return the Document given as an upload, an attach:// name or a file_id."""
        upload = params.files.get("document")
        document = params.text("document") or ""
        if upload is None and document.startswith("attach://"):
            upload = params.files.get(document.removeprefix("attach://"))
        if upload is not None:
            if not upload.content:
                raise _bad_request("file must be non-empty")
            if len(upload.content) > DOCUMENT_LIMIT_BYTES:
                raise _Refusal(ApiError(413, "Request Entity Too Large"))
            stored = self._store_file(upload.content, f"documents/file_{next(self._file_numbers)}")
            shown: JSONDict = {
                "file_name": upload.filename,
                "mime_type": upload.content_type,
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": len(upload.content),
            }
            self._documents[stored.file_id] = shown
            return copy.deepcopy(shown)
        if document in self._documents:
            return copy.deepcopy(self._documents[document])
        if urlsplit(document).scheme in ("http", "https"):
            raise _bad_request("wrong type of the web page content")  # not fetched
        if not document:
            raise _bad_request("there is no document in the request")
        raise _bad_request("wrong file identifier/HTTP URL specified")
