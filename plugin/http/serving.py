"""The embedded web server (`loyalty serve`, `loyalty demo`): werkzeug's, with a quieter log.

werkzeug logs each request line whole, query string included, and Shopify signs admin loads and
app proxy requests in the query (``hmac``, ``signature``, ``id_token``): a credential must never
land in a log line, so every line this server logs has its query strings cut off.
"""

from __future__ import annotations

import re

from werkzeug.serving import WSGIRequestHandler

_QUERY = re.compile(r"\?[^\s\"\x1b]*")


def without_queries(line: str) -> str:
    """The line with every URL's query removed: 'GET /admin?hmac=... HTTP/1.1' -> 'GET /admin HTTP/1.1'."""
    return _QUERY.sub("", line)


class RequestHandler(WSGIRequestHandler):
    """werkzeug's request handler, logging paths without their query strings."""

    def log(self, type: str, message: str, *args) -> None:
        super().log(type, "%s", without_queries(message % args if args else message))
