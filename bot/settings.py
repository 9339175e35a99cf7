"""All configuration in one object, from the environment or a `.env` file (docs/interfaces.md#settings)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dialogs.office_hours import DEFAULT_OFFICE_HOURS, OfficeHours

TIMEZONE = ZoneInfo("Asia/Shanghai")

Clock = Callable[[], datetime]  # an aware datetime: now


def now_in_guangzhou() -> datetime:
    """The time now, in Beijing time (the wall clock, when ZJTX_NOW does not set another)."""
    return datetime.now(TIMEZONE)


class SettingsError(ValueError):
    """A setting that cannot be used; the message names it and says what is expected."""


def today_in_guangzhou() -> date:
    """Today's date where the policies apply; the only place the clock is read for rules."""
    return now_in_guangzhou().date()


def running_from(start: datetime, monotonic: Callable[[], float] = time.monotonic) -> Clock:
    """A clock that reads ``start`` now and runs on from it in real time (ZJTX_NOW)."""
    began = monotonic()
    return lambda: start + timedelta(seconds=monotonic() - began)


def clock_of(settings: Settings) -> Clock:
    """The clock of ``zjtx serve`` and ``zjtx chat``: from ZJTX_NOW when it is set (a testing
    aid: the process starts at that time), else the wall clock."""
    return now_in_guangzhou if settings.now is None else running_from(settings.now)


def today_of(clock: Clock) -> Callable[[], date]:
    """Today's Beijing date by ``clock``."""
    return lambda: clock().astimezone(TIMEZONE).date()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    db: str = Field(default="zjtx.db", alias="ZJTX_DB")
    listen: str = Field(default="127.0.0.1:8080", alias="ZJTX_LISTEN")
    staff: str = Field(default="", alias="ZJTX_STAFF")
    staff_chat: str | None = Field(default=None, alias="ZJTX_STAFF_CHAT")
    prune_days: float = Field(default=7.0, gt=0, alias="ZJTX_PRUNE_DAYS")
    office_hours: str = Field(default=DEFAULT_OFFICE_HOURS, alias="ZJTX_OFFICE_HOURS")
    ticket_remind: str = Field(default="4h", alias="ZJTX_TICKET_REMIND")
    ticket_idle_days: float = Field(default=7, gt=0, alias="ZJTX_TICKET_IDLE_DAYS")
    admin: str = Field(default="", alias="ZJTX_ADMIN")
    # the address people reach this server at: the console's login links, the document links
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
    wechat_app_id: str | None = Field(default=None, alias="WECHAT_APP_ID")
    wechat_app_secret: str | None = Field(default=None, alias="WECHAT_APP_SECRET")
    wechat_token: str | None = Field(default=None, alias="WECHAT_TOKEN")
    wechat_aes_key: str | None = Field(default=None, alias="WECHAT_AES_KEY")
    wechat_plaintext: bool = Field(default=False, alias="WECHAT_PLAINTEXT")
    wechat_api_base_url: str = Field(default="https://api.weixin.qq.com", alias="WECHAT_API_BASE_URL")
    link_secret: str | None = Field(default=None, alias="ZJTX_LINK_SECRET")
    now: datetime | None = Field(default=None, alias="ZJTX_NOW")  # a testing aid: the clock starts here
    reminder_hours: float = Field(default=24.0, alias="ZJTX_REMINDER_HOURS", gt=0, le=24 * 30)

    @field_validator("now", mode="before")
    @classmethod
    def _aware_iso_time(cls, value: object) -> object:
        """ZJTX_NOW is an ISO time with its offset (2026-11-23T10:00:00+08:00): without the
        offset it would be read in whatever zone the machine is set to."""
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(
                    f"ZJTX_NOW must be an ISO time like 2026-11-23T10:00:00+08:00, got {value!r}"
                ) from None
            value = parsed
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError("ZJTX_NOW needs its UTC offset, e.g. 2026-11-23T10:00:00+08:00")
        return value

    @property
    def staff_ids(self) -> frozenset[str]:
        return frozenset(s.strip() for s in self.staff.split(",") if s.strip())

    @property
    def admin_ids(self) -> frozenset[str]:
        """Staff who also manage groups and the knowledge base in the web console."""
        return frozenset(s.strip() for s in self.admin.split(",") if s.strip())

    @property
    def console_wanted(self) -> bool:
        """Whether the web console is configured: its key is set (it needs ZJTX_PUBLIC_URL
        too). The public address alone is not the console's: it also serves document links."""
        return bool(self.console_key)

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
