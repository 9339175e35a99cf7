"""What WeCom (企业微信) and the WeChat Official Account (公众号) share: Tencent's callback
crypto (one scheme, parameterised by the receive id), safe XML, the callback request checks,
the durable replay guard, UTF-8 byte splitting, and the JSON API retry loop.

Each platform's channel (:mod:`bot.channels.wecom`, :mod:`bot.channels.wechat`) builds on
these and adds its own names, message types and rules.
"""

from .crypto import CryptoError, CryptoErrorReason, MsgCrypto, SignedEnvelope, msg_signature, signature
from .errors import ApiError, TransportError
from .replay import InMemoryReplayGuard, ReplayGuard, StoreReplayGuard
from .text import TEXT_LIMIT_BYTES, split_text, utf8_size
from .xml import XmlError, cdata, child_text, parse_xml

__all__ = [
    "TEXT_LIMIT_BYTES",
    "ApiError",
    "CryptoError",
    "CryptoErrorReason",
    "InMemoryReplayGuard",
    "MsgCrypto",
    "ReplayGuard",
    "SignedEnvelope",
    "StoreReplayGuard",
    "TransportError",
    "XmlError",
    "cdata",
    "child_text",
    "msg_signature",
    "parse_xml",
    "signature",
    "split_text",
    "utf8_size",
]
