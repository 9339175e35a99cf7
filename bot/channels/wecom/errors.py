"""Errors of the WeCom server APIs (app messages and group robots).

:class:`WeComError` and :class:`WeComTransportError` are the WeCom names of the errors
shared with the WeChat Official Account (:mod:`bot.channels.tencent.errors`)."""

from __future__ import annotations

from bot.channels.tencent.errors import ApiError, TransportError

__all__ = ["RobotRevoked", "WeComError", "WeComTransportError"]

WeComError = ApiError
WeComTransportError = TransportError


class RobotRevoked(WeComError):
    """The group robot's webhook key is invalid or revoked (errcode 93000): stop sending to it."""

    def __init__(self, key_hint: str, errmsg: str) -> None:
        super().__init__(93000, errmsg)
        self.key_hint = key_hint
