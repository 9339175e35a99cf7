"""The WeChat Official Account (公众号) channel: the encrypted callback, passive replies,
customer-service messages within the platform's window, the stable access token, the
custom menu.

Wired by :func:`bot.channels.wechat.channel.channel_from_settings` from the composition
root; built on what it shares with WeCom (:mod:`bot.channels.tencent`).
"""

from .api import WeChatApi
from .callback import CALLBACK_PATH, SUCCESS, Answer, OnMessage, WeChatCallback
from .config import DEFAULT_API_BASE_URL, WeChatConfig
from .errors import WeChatError, WeChatTransportError
from .inbound import WeChatInbound, parse_inbound
from .reply import image_reply, text_reply
from .store import Follower, Shut, WeChatStore

__all__ = [
    "CALLBACK_PATH",
    "DEFAULT_API_BASE_URL",
    "SUCCESS",
    "Answer",
    "Follower",
    "OnMessage",
    "Shut",
    "WeChatApi",
    "WeChatCallback",
    "WeChatConfig",
    "WeChatError",
    "WeChatInbound",
    "WeChatStore",
    "WeChatTransportError",
    "image_reply",
    "parse_inbound",
    "text_reply",
]
