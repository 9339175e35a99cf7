"""Errors of the Official Account API: the shared Tencent errors under WeChat's names."""

from __future__ import annotations

from bot.channels.tencent.errors import ApiError, TransportError

__all__ = ["WeChatError", "WeChatTransportError"]

WeChatError = ApiError
WeChatTransportError = TransportError
