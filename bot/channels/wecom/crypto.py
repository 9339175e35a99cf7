"""The WeCom names of the callback crypto shared with the WeChat Official Account
(:mod:`bot.channels.tencent.crypto`): the receive id is the corp id."""

from __future__ import annotations

from bot.channels.tencent.crypto import (
    CryptoError,
    CryptoErrorReason,
    MsgCrypto,
    SignedEnvelope,
    msg_signature,
)

__all__ = ["CryptoErrorReason", "SignedEnvelope", "WeComCrypto", "WeComCryptoError", "msg_signature"]

WeComCrypto = MsgCrypto
WeComCryptoError = CryptoError
