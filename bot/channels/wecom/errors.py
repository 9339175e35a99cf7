"""Errors of the WeCom server APIs (app messages and group robots)."""

from __future__ import annotations

__all__ = ["RobotRevoked", "WeComError", "WeComTransportError"]


class WeComError(Exception):
    """WeCom answered with a non-zero ``errcode`` that retrying does not fix (or retries ran out)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeComTransportError(WeComError):
    """WeCom could not be reached (network error, timeout, HTTP error, unreadable answer)
    after every attempt; ``errcode`` is -1, WeCom's own code for "busy, try later"."""

    def __init__(self, errmsg: str) -> None:
        super().__init__(-1, errmsg)


class RobotRevoked(WeComError):
    """The group robot's webhook key is invalid or revoked (errcode 93000): stop sending to it."""

    def __init__(self, key_hint: str, errmsg: str) -> None:
        super().__init__(93000, errmsg)
        self.key_hint = key_hint
