"""The dashboard's language: ?lang=, then the session, then the browser's Accept-Language.

The texts and the number, money and date formats live in plugin.core.i18n (gettext catalogues and
Babel's CLDR data); this module only chooses the language of a request.
"""

from __future__ import annotations

from flask import request, session

from plugin.core.i18n import DEFAULT, LANGUAGES

LANG_KEY = "dashboard_lang"


def language(*, remember: bool) -> str:
    """?lang= first (remembered in the session when ``remember``), then the session, then the
    browser's Accept-Language."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        if remember:
            session[LANG_KEY] = asked
        return asked
    if remember and session.get(LANG_KEY) in LANGUAGES:
        return session[LANG_KEY]
    return request.accept_languages.best_match(LANGUAGES, DEFAULT)
