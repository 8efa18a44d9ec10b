"""Russian and English for the dashboard and the rules page: one catalog, numbers and dates per language.

No dependency: a dict of messages per language (plugin.dashboard.messages), str.format
placeholders, and plural forms as tuples (English: one, other; Russian: one, few, many).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import request, session

from plugin.dashboard.messages import MESSAGES

LANGUAGES = ("en", "ru")
DEFAULT = "en"
LANG_KEY = "dashboard_lang"
MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "ru": ("янв.", "февр.", "мар.", "апр.", "мая", "июн.", "июл.", "авг.", "сент.", "окт.", "нояб.", "дек."),
}
GROUP = {"en": ",", "ru": "\u00a0"}  # thousands separator (Russian: a no-break space)
POINT = {"en": ".", "ru": ","}


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


def plural_index(lang: str, n: int | Decimal) -> int:
    """Which plural form: English one/other; Russian one/few/many (fractions take 'few')."""
    if Decimal(n) != Decimal(n).to_integral_value():
        return 1
    n = abs(int(n))
    if lang == "ru":
        if n % 10 == 1 and n % 100 != 11:
            return 0
        return 1 if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else 2
    return 0 if n == 1 else 1


def translate(lang: str, key: str, **values) -> str:
    """The message in ``lang``; a plural message picks its form by ``n``. Numbers are formatted."""
    message = MESSAGES[lang][key]
    if isinstance(message, tuple):
        message = message[plural_index(lang, values["n"])]
    shown = {k: number(v, lang) if isinstance(v, int | Decimal) and not isinstance(v, bool) else v
             for k, v in values.items()}
    return message.format(**shown)


def term(lang: str, group: str, value, fallback: str | None = None) -> str:
    """A data value's name (a ledger kind, an event status...), or the value itself when unnamed."""
    found = MESSAGES[lang].get(f"{group}.{value}")
    return found if isinstance(found, str) else fallback if fallback is not None else str(value)


def number(value: int | Decimal, lang: str) -> str:
    """1,234.5 in English, 1 234,5 in Russian; Decimals without trailing zeros."""
    if isinstance(value, Decimal):
        whole, _, fraction = format(value.normalize(), "f").partition(".")
    else:
        whole, fraction = str(value), ""
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    grouped = f"{int(digits):,}".replace(",", GROUP[lang])
    return sign + grouped + (POINT[lang] + fraction if fraction else "")


def percent(rate: Decimal | str | None, lang: str) -> str:
    """A rate (0.2534) as a percentage with one decimal (25.3%); a dash when there is none."""
    if rate is None:
        return "—"
    return number((Decimal(rate) * 100).quantize(Decimal("0.1")).normalize() + 0, lang) + "%"


def money(amount: Decimal | str, currency: str, lang: str) -> str:
    """An amount with two decimals (more when it has them) and its currency code."""
    amount = Decimal(amount)
    cents = amount.quantize(Decimal("0.01"))
    shown = cents if amount == cents else amount.normalize()
    text = format(shown, "f")
    whole, _, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    grouped = f"{int(whole.lstrip('-')):,}".replace(",", GROUP[lang])
    return f"{sign}{grouped}{POINT[lang] + fraction if fraction else ''} {currency}"


def day(value: date | datetime | None, lang: str) -> str:
    """'Mar 1, 2026' or '1 мар. 2026'; empty for None."""
    if value is None:
        return ""
    month = MONTHS[lang][value.month - 1]
    return f"{value.day} {month} {value.year}" if lang == "ru" else f"{month} {value.day}, {value.year}"


def moment(value: datetime | None, lang: str) -> str:
    """A date and a UTC time of day (the database stores UTC)."""
    if value is None:
        return ""
    return f"{day(value, lang)} {value:%H:%M}"
