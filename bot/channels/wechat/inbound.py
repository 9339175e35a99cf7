"""Official Account callback XML → a neutral inbound message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from bot.channels.tencent.xml import child_text, parse_xml, read_envelope, stripped

__all__ = ["InboundKind", "WeChatInbound", "parse_inbound"]

InboundKind = Literal["text", "event", "media", "other"]
_MEDIA = frozenset({"image", "voice", "video", "shortvideo", "location", "link", "file"})
_NAMED = frozenset(
    {
        "ToUserName",
        "FromUserName",
        "CreateTime",
        "MsgType",
        "Content",
        "Event",
        "EventKey",
        "MsgId",
        "bizmsgmenuid",
    }
)


@dataclass(frozen=True, slots=True)
class WeChatInbound:
    """One message or event a follower sent to the account, free of WeChat's XML.

    ``from_user`` is the follower's OpenID, ``to_user`` the account's original id (gh_…).
    ``kind`` is ``media`` for pictures, voice, video, locations and links (the dialog reads
    text only), ``other`` for a message type WeChat may add later; ``raw_type`` keeps
    ``MsgType``. ``menu_id`` is the ``bizmsgmenuid`` of a click in a customer-service menu
    (its ``content`` is the item's text). ``extras`` holds the remaining flat fields.
    """

    kind: InboundKind
    from_user: str
    to_user: str
    create_time: int
    content: str | None = None
    event: str | None = None
    event_key: str | None = None
    msg_id: str | None = None
    menu_id: str | None = None
    raw_type: str = ""
    extras: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def replay_key(self) -> str:
        """The key a retry of this callback is recognised by: the ``MsgId`` of a message; for
        an event (which has none) its sender and ``CreateTime``, with the event and its key so
        two different clicks in one second stay apart."""
        if self.msg_id:
            return f"wechat:msg:{self.msg_id}"
        return f"wechat:event:{self.from_user}:{self.create_time}:{self.event or ''}:{self.event_key or ''}"


def parse_inbound(data: bytes) -> WeChatInbound:
    """Return the WeChatInbound in a (decrypted) callback message.

    Raises XmlError when the XML is refused, malformed, or lacks ``FromUserName``,
    ``ToUserName``, ``MsgType`` or an integer ``CreateTime``.
    """
    root = parse_xml(data)
    env = read_envelope(root, _NAMED)
    kind: InboundKind = "text" if env.raw_type == "text" else "event" if env.raw_type == "event" else "other"
    if env.raw_type in _MEDIA:
        kind = "media"
    return WeChatInbound(
        kind=kind,
        from_user=env.from_user,
        to_user=env.to_user,
        create_time=env.create_time,
        content=child_text(root, "Content"),
        event=stripped(child_text(root, "Event")),
        event_key=child_text(root, "EventKey"),
        msg_id=stripped(child_text(root, "MsgId")) or None,
        menu_id=stripped(child_text(root, "bizmsgmenuid")) or None,
        raw_type=env.raw_type,
        extras=env.extras,
    )
