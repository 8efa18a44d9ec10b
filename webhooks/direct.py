"""Webhook deliveries taken straight from WSGI, past Flask's per-request machinery.

A delivery is the plugin's most frequent request, and what Flask does around it (a request and an
app context, the URL map of every page, the hooks, a Response object) cost as much as reading its
keys: about a fifth of a delivery's CPU. ``Direct`` wraps the app's WSGI callable and serves a POST
to a receiver's address itself: matched against the receivers' routes only (werkzeug's routing,
so exactly the addresses Flask would match), the database opened for the request as the app's
hooks do, the same receiver function the Flask route calls, its JSON answered; a refusal is
rendered by the app's one error mapping (plugin.http.errors.render). Whatever is not plain goes
to Flask untouched, which answers it as it always did: another method or address, a query
string, a NUL in the path (refused by the app's hook), no Content-Length or a body over the limit
(413).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import Map, Rule

from plugin.core.db import database
from plugin.http.errors import render
from webhooks.receiving import Answer, Delivery

Receive = Callable[[Delivery], Answer]
PREFIX = "/webhooks/"


class Direct:
    """The app's WSGI callable, with the receivers' deliveries served without Flask."""

    def __init__(self, app: Flask, routes: Iterable[tuple[str, Receive]]):
        self._flask = app.wsgi_app
        self._json = app.json
        self._runtime = app.extensions["loyalty"]
        self._limit = app.config.get("MAX_CONTENT_LENGTH")
        self._map = Map([Rule(route, endpoint=receive, methods=["POST"]) for route, receive in routes],
                        converters=app.url_map.converters)

    def __call__(self, environ: dict[str, Any], start_response):
        taken = self._take(environ)
        if taken is None:
            return self._flask(environ, start_response)
        receive, args, length = taken
        raw = environ["wsgi.input"].read(length)
        database.connect(reuse_if_open=True)
        try:
            if len(raw) != length:
                raise BadRequest("the body ended before its Content-Length")
            status, text, headers = 200, json.dumps(receive(Delivery(environ, raw, self._runtime, args))), []
        except Exception as error:  # noqa: BLE001 - every error is answered, as Flask's handlers do
            fields, status, headers = render(error)
            text = self._json.dumps(fields)
        finally:
            if not database.is_closed():
                database.close()
        data = text.encode()
        start_response(f"{status} {HTTP_STATUS_CODES.get(status, 'Unknown')}",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(data))), *headers])
        return [data]

    def _take(self, environ: dict[str, Any]) -> tuple[Receive, dict[str, str], int] | None:
        """The receiver, its address's parts and the body's length of a plain delivery, else None."""
        path, length = environ.get("PATH_INFO", ""), environ.get("CONTENT_LENGTH", "")
        if (environ.get("REQUEST_METHOD") != "POST" or not path.startswith(PREFIX) or "\x00" in path
                or environ.get("QUERY_STRING")
                or not (length.isascii() and length.isdigit() and len(length) < 19)
                or (self._limit is not None and int(length) > self._limit)):
            return None
        try:
            receive, args = self._map.bind_to_environ(environ).match()
        except HTTPException:  # no receiver's address (404, 405, a redirect): Flask's to answer
            return None
        return receive, args, int(length)
