"""Passive replies (被动回复用户消息): the XML answered in the callback's HTTP response
(encrypted by the callback in safe mode). One per callback, text or image."""

from __future__ import annotations

from bot.channels.tencent.xml import cdata

__all__ = ["image_reply", "text_reply"]


def _head(to_user: str, from_user: str, at: int, msg_type: str) -> str:
    return (
        f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{at}</CreateTime><MsgType>{cdata(msg_type)}</MsgType>"
    )


def text_reply(to_user: str, from_user: str, at: int, content: str) -> bytes:
    """A text reply to follower ``to_user`` from the account ``from_user`` (its gh_ id)."""
    return (_head(to_user, from_user, at, "text") + f"<Content>{cdata(content)}</Content></xml>").encode()


def image_reply(to_user: str, from_user: str, at: int, media_id: str) -> bytes:
    """An image reply of an uploaded picture."""
    return (
        _head(to_user, from_user, at, "image") + f"<Image><MediaId>{cdata(media_id)}</MediaId></Image></xml>"
    ).encode()
