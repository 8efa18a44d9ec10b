"""A file to save: every CSV and JSON download answers with its type and its file name the same way."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response, stream_with_context


def download(body: str | Iterable[str], filename: str, mimetype: str = "text/csv") -> Response:
    """``body`` as an attachment named ``filename`` (callers pass names safe in a header); an
    iterable of text is streamed within the request's context."""
    if not isinstance(body, str):
        body = stream_with_context(body)
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
