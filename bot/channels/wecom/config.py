"""The settings of one WeCom app that the channel needs."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DEFAULT_API_BASE_URL", "WeComConfig"]

DEFAULT_API_BASE_URL = "https://qyapi.weixin.qq.com"


@dataclass(frozen=True, slots=True)
class WeComConfig:
    """One WeCom self-built app: ``WECOM_CORP_ID``, ``WECOM_AGENT_ID``, ``WECOM_SECRET``,
    ``WECOM_TOKEN``, ``WECOM_AES_KEY`` and ``WECOM_API_BASE_URL``.

    The secret, token and AES key are kept out of ``repr`` so a logged config leaks nothing.
    """

    corp_id: str
    agent_id: int
    secret: str = field(repr=False)
    token: str = field(repr=False)
    aes_key: str = field(repr=False)
    api_base_url: str = DEFAULT_API_BASE_URL
