"""Reading request input the one way every endpoint does: a JSON object (plugin.core.jsonbody: nested at
most 64 deep, storable text), else a clear 400; no NUL.

PostgreSQL cannot store a NUL character in text (SQLite would keep it), so text holding one is
refused at the door with a 400, the same on every backend, before anything is written.
"""

from __future__ import annotations

from flask import request
from marshmallow import Schema

from plugin.core import csvfile
from plugin.core.jsonbody import NUL, REFUSED, MalformedJson, NulCharacter, loads_object


def refuse_nul(values) -> None:
    """400 when any of the texts (a path, query or form values) holds a NUL character."""
    if any(NUL in value for value in values):
        raise NulCharacter(REFUSED)


def refuse_nul_in_url() -> None:
    """Every request: the path and the query string (app.before_request); most have no query."""
    if not request.query_string:
        refuse_nul([request.path])
        return
    refuse_nul([request.path, *request.args.keys(), *(v for _, v in request.args.items(multi=True))])


def json_object(schema: Schema | None = None) -> dict:
    """The body as a JSON object, loaded by ``schema`` when given (422 naming bad fields)."""
    if not request.is_json:
        raise MalformedJson("the body must be a JSON object (Content-Type: application/json)")
    body = loads_object(request.get_data(), nul=True)
    return schema.load(body) if schema is not None else body


def csv_text() -> str:
    """The request body as a CSV file's text, up to csvfile.MAX_FILE_BYTES (413 beyond)."""
    request.max_content_length = csvfile.MAX_FILE_BYTES
    return csvfile.decode(request.get_data())
