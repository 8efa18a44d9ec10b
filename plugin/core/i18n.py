"""Russian and English from one gettext catalogue per language (plugin/translations), and the
numbers, money and dates of each language from Babel's CLDR data. No Flask: the rules page, the
widget's strings, stored reasons and e-mails all render through here.

Messages are keyed (``nav.overview``), so the English catalogue holds the English texts and a
missing translation shows its key, never the other language. Placeholders are ``str.format``
fields; a plural message picks its form by ``n`` under the language's CLDR plural rule.
"""

from __future__ import annotations

import functools
import io
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, get_currency_precision, get_currency_symbol, parse_pattern
from babel.support import Translations

LANGUAGES = ("en", "ru")
DEFAULT = "en"
CATALOGUES = Path(__file__).resolve().parent.parent / "translations"


def catalogue_path(lang: str, suffix: str = "po") -> Path:
    return CATALOGUES / lang / "LC_MESSAGES" / f"messages.{suffix}"


@functools.cache
def translations(lang: str) -> Translations:
    """The compiled catalogue (messages.mo, built at install), or the .po compiled in memory when
    the .mo is missing or older (a checkout being edited)."""
    po, mo = catalogue_path(lang), catalogue_path(lang, "mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as compiled:
            return Translations(compiled, domain="messages")
    with po.open("rb") as source:
        catalog = read_po(source, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain="messages")


def chosen(lang: str | None) -> str:
    """``ru``, ``ru-RU`` or ``RU`` -> ru; anything else (or nothing) -> the default."""
    short = (lang or "").replace("_", "-").split("-")[0].lower()
    return short if short in LANGUAGES else DEFAULT


def has(lang: str, key: str) -> bool:
    return translations(lang).gettext(key) != key


def translate(lang: str, key: str, **values) -> str:
    """The message in ``lang``; a plural message picks its form by ``n``. Numbers are formatted."""
    catalogue = translations(lang)
    if "n" in values and _is_plural(key):
        n = values["n"]
        whole = Decimal(n) == Decimal(n).to_integral_value()
        # gettext counts in integers; CLDR gives fractions Russian's "few" form (1,5 балла)
        message = catalogue.ngettext(key, key, int(abs(Decimal(n))) if whole else 2)
    else:
        message = catalogue.gettext(key)
    shown = {k: number(v, lang) if isinstance(v, int | Decimal) and not isinstance(v, bool) else v
             for k, v in values.items()}
    return message.format(**shown)


@functools.cache
def _messages() -> tuple:
    with catalogue_path(DEFAULT).open("rb") as source:
        return tuple(message for message in read_po(source) if message.id)


@functools.cache
def _plurals() -> frozenset[str]:
    return frozenset(m.id[0] for m in _messages() if m.pluralizable)


def keys(prefix: str) -> list[str]:
    """The catalogue's keys that start with ``prefix`` (widget., demo.), in catalogue order."""
    return [m.id[0] if m.pluralizable else m.id for m in _messages()
            if (m.id[0] if m.pluralizable else m.id).startswith(prefix)]


def _is_plural(key: str) -> bool:
    return key in _plurals()


def template(lang: str, key: str) -> str:
    """The message unformatted, placeholders and all, for a page script that fills them in."""
    return translations(lang).gettext(key)


def forms(lang: str, key: str) -> dict[str, str]:
    """A plural message's forms by CLDR category (one, few, many, other), unformatted, for a
    script that picks one with Intl.PluralRules; each is the form ``translate`` gives a number of
    that category (a category of fractions only, like Russian "other", gets the form of 1.5)."""
    rule = locale(lang).plural_form
    samples = {rule(n): n for n in range(200, -1, -1)}
    return {tag: translations(lang).ngettext(key, key, samples.get(tag, 2)) for tag in {*rule.tags, "other"}}


def term(lang: str, group: str, value, fallback: str | None = None) -> str:
    """A data value's name (a ledger kind, an event status...), or the value itself when unnamed."""
    key = f"{group}.{value}"
    if has(lang, key):
        return translate(lang, key)
    return fallback if fallback is not None else str(value)


def number(value: int | Decimal, lang: str) -> str:
    """1,234.5 in English, 1 234,5 in Russian; Decimals keep their digits, without trailing zeros."""
    if isinstance(value, Decimal):
        value = value.normalize() + 0
        places = max(0, -value.as_tuple().exponent)
        return format_decimal(value, format="#,##0" + ("." + "0" * places if places else ""), locale=lang)
    return format_decimal(value, format="#,##0", locale=lang)


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
    places = max(2, -shown.as_tuple().exponent)
    text = format_decimal(shown, format="#,##0." + "0" * places, locale=lang)
    return f"{text} {currency}"


def price(amount: Decimal, currency: str, lang: str) -> str:
    """An amount as shoppers read it: CLDR's currency format with the symbol ($12.50, 12,50 $),
    whole amounts without cents ($10), a currency without a symbol as its code (12.35 CAD)."""
    amount = Decimal(amount)
    places = 0 if amount == amount.to_integral_value() else get_currency_precision(currency)
    amount = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if get_currency_symbol(currency, lang).isalpha():  # no symbol: Babel would glue the code on
        digits = "#,##0" + ("." + "0" * places if places else "")
        return f"{format_decimal(amount, format=digits, locale=lang)}\u00a0{currency}"
    pattern = parse_pattern(locale(lang).currency_formats["standard"].pattern)
    pattern.frac_prec = (places, places)
    return pattern.apply(amount, locale(lang), currency=currency, currency_digits=False)


def day(value: date | datetime | str | None, lang: str) -> str:
    """'Mar 1, 2026' or '1 мар. 2026 г.' (CLDR's medium date) of a date or an ISO date; empty for None."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return format_date(value, format="medium", locale=lang)


def month_day(value: date | datetime, lang: str) -> str:
    """'November 3' or '3 ноября' (CLDR's month and day)."""
    return format_skeleton("MMMMd", value, locale=lang)


def moment(value: datetime | None, lang: str) -> str:
    """A date and a UTC time of day (the database stores UTC)."""
    if value is None:
        return ""
    return f"{day(value, lang)} {value:%H:%M}"


def locale(lang: str) -> Locale:
    return Locale.parse(chosen(lang))
