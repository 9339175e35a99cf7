"""The WeCom (企业微信) channel's transport: callback crypto and endpoint, app API, group robots.

The dialog engine plugs in through ``WeComCallback(config, on_message, replay_guard=…)``
(inbound ``WeComInbound``) and ``WeComApi`` / ``RobotSender`` (outbound).
"""

from bot.channels.tencent.http import Backoff
from bot.channels.tencent.replay import InMemoryReplayGuard, ReplayGuard
from bot.channels.tencent.text import TEXT_LIMIT_BYTES, split_text, utf8_size

from .api import ChoiceButton, SendResult, WeComApi
from .callback import CALLBACK_PATH, OnMessage, WeComCallback
from .config import DEFAULT_API_BASE_URL, WeComConfig
from .crypto import CryptoErrorReason, SignedEnvelope, WeComCrypto, WeComCryptoError, msg_signature
from .errors import RobotRevoked, WeComError, WeComTransportError
from .inbound import InboundKind, WeComInbound, WeComXmlError, parse_inbound
from .robot import ROBOT_IMAGE_LIMIT_BYTES, RobotSender, WebhookError, robot_key

__all__ = [
    "CALLBACK_PATH",
    "DEFAULT_API_BASE_URL",
    "ROBOT_IMAGE_LIMIT_BYTES",
    "TEXT_LIMIT_BYTES",
    "Backoff",
    "ChoiceButton",
    "CryptoErrorReason",
    "InMemoryReplayGuard",
    "InboundKind",
    "OnMessage",
    "ReplayGuard",
    "RobotRevoked",
    "RobotSender",
    "SendResult",
    "SignedEnvelope",
    "WeComApi",
    "WeComCallback",
    "WeComConfig",
    "WeComCrypto",
    "WeComCryptoError",
    "WeComError",
    "WeComInbound",
    "WeComTransportError",
    "WeComXmlError",
    "WebhookError",
    "msg_signature",
    "parse_inbound",
    "robot_key",
    "split_text",
    "utf8_size",
]
