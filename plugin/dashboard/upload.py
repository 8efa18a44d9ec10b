"""The CSV file of a dashboard form (auth.FILE_ENDPOINTS raises the body limit for these forms)."""

from __future__ import annotations

from flask import g, request

from plugin.core import csvfile
from plugin.core.errors import Invalid
from plugin.core.i18n import translate


def csv_text(field: str = "file") -> str:
    """The uploaded file as text; a missing file or one that is not UTF-8 is a 422 on ``file``."""
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        raise Invalid("choose a CSV file", fields={"file": [translate(g.lang, "upload.need_file")]})
    return csvfile.decode(upload.read())


def file_error(exc: Invalid) -> str:
    """What to show next to the file field."""
    return " ".join((exc.fields or {}).get("file") or [exc.message])
