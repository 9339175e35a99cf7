"""The staff console on the web, under ``/console`` of the shared server (``zjtx serve``).

Server-rendered pages (aiohttp-jinja2, autoescaped) in Chinese first and English, each
working without JavaScript; a few lines of the package's own script add the live
broadcast preview and refreshing counts. Staff log in with a one-time link (``/console``
in a private chat, or ``zjtx console link``); see :mod:`bot.web.access` for the sessions,
:mod:`bot.web.core` for CSRF and the error pages, :mod:`bot.web.pages` for each page.
"""

from __future__ import annotations

from .console import ConsoleError, StaffConsole, console_from_settings

__all__ = ["ConsoleError", "StaffConsole", "console_from_settings"]
