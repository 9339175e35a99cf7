"""The settings of one WeChat Official Account (公众号) that the channel needs."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DEFAULT_API_BASE_URL", "WeChatConfig"]

DEFAULT_API_BASE_URL = "https://api.weixin.qq.com"


@dataclass(frozen=True, slots=True)
class WeChatConfig:
    """One verified service account: ``WECHAT_APP_ID``, ``WECHAT_APP_SECRET``,
    ``WECHAT_TOKEN``, ``WECHAT_AES_KEY`` (None: no safe mode), ``WECHAT_PLAINTEXT``
    (accept plaintext callbacks, for a test account) and ``WECHAT_API_BASE_URL``.

    The secret, token and AES key are kept out of ``repr`` so a logged config leaks nothing.
    """

    app_id: str
    secret: str = field(repr=False)
    token: str = field(repr=False)
    aes_key: str | None = field(default=None, repr=False)
    plaintext: bool = False
    api_base_url: str = DEFAULT_API_BASE_URL

    def __post_init__(self) -> None:
        if self.aes_key is None and not self.plaintext:
            raise ValueError(
                "WECHAT_AES_KEY is required unless WECHAT_PLAINTEXT=1 allows plaintext callbacks"
            )
