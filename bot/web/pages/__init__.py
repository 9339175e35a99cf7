"""The console's pages, one module each; :func:`install` adds every route."""

from __future__ import annotations

from aiohttp import web

from . import assessments, audit, broadcasts, desk, enquiries, groups, home, knowledge, login, statistics

__all__ = ["install"]


def install(router: web.UrlDispatcher) -> None:
    for module in (
        login,
        home,
        desk,
        enquiries,
        assessments,
        statistics,
        broadcasts,
        groups,
        knowledge,
        audit,
    ):
        module.routes(router)
