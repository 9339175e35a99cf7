"""WeCom callback XML → a neutral inbound message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from bot.channels.tencent.xml import XmlError, child_text, parse_xml, read_envelope, stripped

__all__ = [
    "InboundKind",
    "WeComInbound",
    "WeComXmlError",
    "child_text",
    "parse_inbound",
    "parse_xml",
]

InboundKind = Literal["text", "event", "image", "voice", "file", "other"]
_KINDS: dict[str, InboundKind] = {
    "text": "text",
    "event": "event",
    "image": "image",
    "voice": "voice",
    "file": "file",
}
# Fields with their own attribute; other flat fields land in ``extras``.
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
        "AgentID",
    }
)


WeComXmlError = XmlError  # the WeCom name of the shared error


@dataclass(frozen=True, slots=True)
class WeComInbound:
    """One message or event a WeCom user sent to the app, free of WeCom's XML.

    ``kind`` is ``other`` for message types the channel does not distinguish (video,
    location, link, …); ``raw_type`` keeps WeCom's ``MsgType``. ``extras`` holds the
    remaining flat fields (``MediaId``, ``PicUrl``, ``TaskId``, ``ResponseCode``, …).
    """

    kind: InboundKind
    from_user: str
    to_user: str
    create_time: int
    agent_id: str | None = None
    content: str | None = None
    event: str | None = None
    event_key: str | None = None
    msg_id: str | None = None
    raw_type: str = ""
    extras: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def replay_key(self) -> str:
        """Return the key under which a retry of this callback is recognised.

        Messages are keyed by ``MsgId``; events (which have none) by sender and
        ``CreateTime``, plus the event name and key so two different clicks in the
        same second stay distinct.
        """
        if self.msg_id:
            return f"wecom:msg:{self.msg_id}"
        return f"wecom:event:{self.from_user}:{self.create_time}:{self.event or ''}:{self.event_key or ''}"


def parse_inbound(data: bytes) -> WeComInbound:
    """Return the WeComInbound in a decrypted callback message.

    Raises WeComXmlError when the XML is refused, malformed, or lacks ``FromUserName``,
    ``ToUserName``, ``MsgType`` or an integer ``CreateTime``.
    """
    root = parse_xml(data)
    env = read_envelope(root, _NAMED)
    return WeComInbound(
        kind=_KINDS.get(env.raw_type, "other"),
        from_user=env.from_user,
        to_user=env.to_user,
        create_time=env.create_time,
        agent_id=stripped(child_text(root, "AgentID")) or None,
        content=child_text(root, "Content"),
        event=stripped(child_text(root, "Event")),
        event_key=child_text(root, "EventKey"),
        msg_id=stripped(child_text(root, "MsgId")) or None,
        raw_type=env.raw_type,
        extras=env.extras,
    )
