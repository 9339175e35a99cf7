"""Errors of Tencent's server APIs (WeCom and the WeChat Official Account answer alike)."""

from __future__ import annotations

__all__ = ["ApiError", "TransportError"]


class ApiError(Exception):
    """The platform answered with a non-zero ``errcode`` that retrying does not fix (or the
    retries ran out)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class TransportError(ApiError):
    """The platform could not be reached (network error, timeout, HTTP error, unreadable
    answer) after every attempt; ``errcode`` is -1, both platforms' own code for "busy, try
    later"."""

    def __init__(self, errmsg: str) -> None:
        super().__init__(-1, errmsg)
