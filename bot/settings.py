"""All configuration in one object, from the environment or a `.env` file (docs/interfaces.md#settings)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from dialogs.office_hours import DEFAULT_OFFICE_HOURS, OfficeHours

TIMEZONE = ZoneInfo("Asia/Shanghai")


class SettingsError(ValueError):
    """A setting that cannot be used; the message names it and says what is expected."""


def today_in_guangzhou() -> date:
    """Today's date where the policies apply; the only place the clock is read for rules."""
    return datetime.now(TIMEZONE).date()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    db: str = Field(default="zjtx.db", alias="ZJTX_DB")
    listen: str = Field(default="127.0.0.1:8080", alias="ZJTX_LISTEN")
    staff: str = Field(default="", alias="ZJTX_STAFF")
    staff_chat: str | None = Field(default=None, alias="ZJTX_STAFF_CHAT")
    office_hours: str = Field(default=DEFAULT_OFFICE_HOURS, alias="ZJTX_OFFICE_HOURS")
    ticket_remind: str = Field(default="4h", alias="ZJTX_TICKET_REMIND")
    ticket_idle_days: float = Field(default=7, gt=0, alias="ZJTX_TICKET_IDLE_DAYS")
    admin: str = Field(default="", alias="ZJTX_ADMIN")
    public_url: str | None = Field(default=None, alias="ZJTX_PUBLIC_URL")
    console_key: str | None = Field(default=None, alias="ZJTX_CONSOLE_KEY")
    telegram_bot_token: str | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field(default="https://api.telegram.org/bot", alias="TELEGRAM_API_BASE_URL")
    telegram_webhook_url: str | None = Field(default=None, alias="TELEGRAM_WEBHOOK_URL")
    telegram_webhook_secret: str | None = Field(default=None, alias="TELEGRAM_WEBHOOK_SECRET")
    wecom_corp_id: str | None = Field(default=None, alias="WECOM_CORP_ID")
    wecom_agent_id: int | None = Field(default=None, alias="WECOM_AGENT_ID")
    wecom_secret: str | None = Field(default=None, alias="WECOM_SECRET")
    wecom_token: str | None = Field(default=None, alias="WECOM_TOKEN")
    wecom_aes_key: str | None = Field(default=None, alias="WECOM_AES_KEY")
    wecom_api_base_url: str = Field(default="https://qyapi.weixin.qq.com", alias="WECOM_API_BASE_URL")

    @property
    def staff_ids(self) -> frozenset[str]:
        return frozenset(s.strip() for s in self.staff.split(",") if s.strip())

    @property
    def admin_ids(self) -> frozenset[str]:
        """Staff who also manage groups and the knowledge base in the web console."""
        return frozenset(s.strip() for s in self.admin.split(",") if s.strip())

    @property
    def console_wanted(self) -> bool:
        """Whether the web console is configured (its key or the public address is set)."""
        return bool(self.console_key or self.public_url)

    @property
    def ticket_remind_hours(self) -> float:
        """ZJTX_TICKET_REMIND in working hours: "4h", "90m" or a number of hours. Raises
        SettingsError for anything else."""
        text = self.ticket_remind.strip().lower()
        try:
            hours = float(text[:-1]) / 60 if text.endswith("m") else float(text.removesuffix("h"))
        except ValueError:
            raise SettingsError(
                f"ZJTX_TICKET_REMIND must be working hours like 4h or 90m, got {text!r}"
            ) from None
        if not 0 < hours <= 24 * 14:
            raise SettingsError(f"ZJTX_TICKET_REMIND must be between 1m and 336h, got {text!r}")
        return hours

    @property
    def office(self) -> OfficeHours:
        """ZJTX_OFFICE_HOURS, read. Raises SettingsError saying what is wrong."""
        try:
            return OfficeHours.parse(self.office_hours)
        except ValueError as exc:
            raise SettingsError(str(exc).replace("office hours:", "ZJTX_OFFICE_HOURS:", 1)) from None

    @property
    def listen_host_port(self) -> tuple[str, int]:
        host, _, port = self.listen.rpartition(":")
        return host or "127.0.0.1", int(port)
