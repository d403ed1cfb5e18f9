"""The dashboards' files, served from the installed package (package data): no CDN, nothing fetched.

Every page is sent with a Content-Security-Policy that allows its own origin only, so a page cannot load
anything from elsewhere even by mistake, and nothing it shows (event ids, VEN names, log messages) can run
as script: the pages build their DOM with textContent, never innerHTML.
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def folder(package: str) -> Traversable:
    """The `static` folder of `package`, wherever the package is installed."""
    return resources.files(package) / "static"


class Assets:
    """Files read once from package folders (a later folder's file replaces an earlier one's)."""

    def __init__(self, *folders: Traversable) -> None:
        self._files: dict[str, tuple[bytes, str]] = {}
        for source in folders:
            for item in source.iterdir():
                suffix = "." + item.name.rpartition(".")[2]
                if item.is_file() and suffix in CONTENT_TYPES:
                    self._files[item.name] = (item.read_bytes(), CONTENT_TYPES[suffix])

    def names(self) -> list[str]:
        return sorted(self._files)

    def response(self, name: str) -> web.Response:
        found = self._files.get(name)
        if found is None:
            raise web.HTTPNotFound(text="no such file")
        body, content_type = found
        return web.Response(body=body, headers={**HEADERS, "Content-Type": content_type})

    def add_routes(self, app: web.Application, page: str) -> None:
        """GET / serves `page`; GET /static/<name> the other files."""

        async def index(_request: web.Request) -> web.Response:
            return self.response(page)

        async def static(request: web.Request) -> web.Response:
            return self.response(request.match_info["name"])

        app.router.add_get("/", index)
        app.router.add_get("/static/{name}", static)


def is_public(path: str) -> bool:
    """The page and its files carry no data: they are served without a token (the data behind is not)."""
    return path == "/" or path.startswith("/static/")
