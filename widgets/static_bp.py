"""The widget's script and stylesheet (and the demo storefront's page script), as static files.

``/widget/loyalty.js`` always answers with an ETag and a short cache, so a store's plain
``<script src>`` picks up a new release within the hour; a URL versioned with the file's own hash
(``asset_url``: ``?v=<hash>``) is cached for a year, as it can never change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, abort, request, url_for

bp = Blueprint("widget_static", __name__)

STATIC = Path(__file__).with_name("static")
ASSETS = {  # name -> media type; nothing else under static/ is served
    "loyalty.js": "text/javascript",
    "loyalty.css": "text/css",
    "demo_store.js": "text/javascript",
}
LONG_CACHE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=3600, must-revalidate"


@dataclass(frozen=True)
class Asset:
    body: bytes
    digest: str  # the ETag and the version in asset_url
    mtime_ns: int


_loaded: dict[str, Asset] = {}


def asset(name: str) -> Asset:
    """The file's bytes and hash, read again only when the file changed (development)."""
    path = STATIC / name
    mtime = path.stat().st_mtime_ns
    cached = _loaded.get(name)
    if cached is None or cached.mtime_ns != mtime:
        body = path.read_bytes()
        cached = _loaded[name] = Asset(body, hashlib.sha256(body).hexdigest()[:20], mtime)
    return cached


@bp.app_template_global()
def asset_url(name: str) -> str:
    """The versioned URL of a widget asset, for pages this app renders."""
    return url_for("widget_static.serve", name=name, v=asset(name).digest)


@bp.get("/widget/<name>")
def serve(name: str) -> Response:
    if name not in ASSETS:
        abort(404)
    found = asset(name)
    response = Response(found.body, mimetype=ASSETS[name])
    response.set_etag(found.digest)
    response.headers["Cache-Control"] = LONG_CACHE if request.args.get("v") == found.digest else SHORT_CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Access-Control-Allow-Origin"] = "*"  # public files; lets a store preload them
    return response.make_conditional(request)
