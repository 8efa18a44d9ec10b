"""The words of messages: every shopper type in both languages from the catalogue, Russian plurals,
the owner's template in a sandbox, and the default when an owner's template fails at send time."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import TemplateError

from plugin.config import ConfigError, load_settings
from plugin.notify import render
from plugin.notify.email.transport import Server
from plugin.notify.settings import Settings
from plugin.notify.types import SAMPLES, TYPES

SHOP = SimpleNamespace(id=1, name="Лавка", domain="lavka.example", currency="RUB")
SHOPPER_TYPES = [name for name, kind in TYPES.items() if kind.shopper]


def message(type_name: str, **data) -> SimpleNamespace:
    return SimpleNamespace(type=type_name, data={**SAMPLES[type_name], **data})


def email(lang: str, type_name: str, draft: render.Draft | None = None, **data) -> render.Email:
    return render.email(
        SHOP,
        Settings(language=lang, time_zone="UTC"),
        message(type_name, **data),
        None,
        unsubscribe_url="https://u.test/x",
        draft=draft or render.default(lang, "email", type_name),
        own={},
    )


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("type_name", SHOPPER_TYPES)
def test_every_shopper_type_has_its_words_in_both_languages(lang, type_name):
    words = email(lang, type_name)
    sms = render.sms_text(SHOP, Settings(language=lang, time_zone="UTC"), message(type_name), None, own={})
    for text in (words.subject, words.text, words.html, sms):
        assert "notify." not in text and "{{" not in text and "{%" not in text, text
    assert words.subject and sms.startswith("Лавка: ")
    assert "https://u.test/x" in words.text and 'href="https://u.test/x"' in words.html


@pytest.mark.parametrize(
    ("n", "word"),
    [
        (1, "балл"),
        (2, "балла"),
        (4, "балла"),
        (5, "баллов"),
        (11, "баллов"),
        (12, "баллов"),
        (21, "балл"),
        (22, "балла"),
        (101, "балл"),
        (111, "баллов"),
    ],
)
def test_russian_plurals(n, word):
    assert email("ru", "points.earned", points=n).subject == f"Вам начислено {n} {word}"


def test_english_plurals_and_dates():
    assert email("en", "points.earned", points=1).subject == "You earned 1 point"
    words = email("en", "points.expiring")
    assert words.subject == "250 points expire on December 20, 2026"
    assert email("ru", "points.expiring").subject == "20 декабря 2026 сгорит 250 баллов"


def test_the_html_escapes_what_a_template_prints_and_keeps_the_brand():
    draft = render.Draft("Hi", "<script>alert(1)</script>\n\nline one\nline two")
    html = render.email(
        SHOP,
        Settings(
            language="en", time_zone="UTC", brand_colour="#123456", logo_url="https://cdn.test/logo.png"
        ),
        message("points.earned"),
        None,
        draft=draft,
        own={},
    ).html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "line one<br>line two" in html and "#123456" in html and 'src="https://cdn.test/logo.png"' in html
    unsafe = render.email(
        SHOP,
        Settings(language="en", time_zone="UTC", brand_colour="red;x:url(j)", logo_url="javascript:alert(1)"),
        message("points.earned"),
        None,
        draft=draft,
        own={},
    ).html
    assert "javascript:" not in unsafe and "url(j)" not in unsafe


def test_an_owner_template_that_fails_when_sent_gives_way_to_the_default():
    broken = {
        ("points.earned", "email", "ru"): render.Draft("{{ data.points.nope() }}", "{{ data.points.nope() }}")
    }
    words = render.email(
        SHOP, Settings(language="ru", time_zone="UTC"), message("points.earned", points=5), None, own=broken
    )
    assert words.subject == "Вам начислено 5 баллов"


def test_a_customer_language_wins_over_the_shop_language():
    customer = SimpleNamespace(locale="en-GB", first_name="Anna", id=3)
    words = render.email(
        SHOP, Settings(language="ru", time_zone="UTC"), message("points.earned", points=2), customer, own={}
    )
    assert words.subject == "You earned 2 points" and words.text.startswith("Hello, Anna!")


@settings(max_examples=150, deadline=None)
@given(source=st.text(max_size=200))
def test_any_owner_template_either_renders_or_is_refused_never_crashes_a_send(source):
    problem = render.problem(source)
    own = {("points.earned", "email", "en"): render.Draft(source, source or "x")}
    words = render.email(
        SHOP, Settings(language="en", time_zone="UTC"), message("points.earned"), None, own=own
    )
    assert isinstance(words.text, str)
    if problem is None:
        render.SANDBOX.parse(source)


def test_smtp_urls():
    assert Server.parse("smtp://user:p%40ss@mail.test:587?starttls=1") == Server(
        "mail.test", 587, "starttls", "user", "p@ss"
    )
    assert Server.parse("smtps://mail.test") == Server("mail.test", 465, "ssl")
    assert Server.parse("smtp://mail.test") == Server("mail.test", 25, "plain")
    for bad in ("http://mail.test", "smtp://", "smtp://:25"):
        with pytest.raises(ValueError):
            Server.parse(bad)


def test_the_environment_names_a_bad_mail_setting():
    with pytest.raises(ConfigError, match="LOYALTY_SMTP_URL"):
        load_settings({"LOYALTY_SMTP_URL": "http://mail.test"})
    with pytest.raises(ConfigError, match="LOYALTY_MAIL_FROM"):
        load_settings({"LOYALTY_MAIL_FROM": "nobody"})
    ok = load_settings(
        {"LOYALTY_SMTP_URL": "smtps://u:p@mail.test", "LOYALTY_MAIL_FROM": "Club <club@x.test>"}
    )
    assert (ok.smtp_url, ok.mail_from) == ("smtps://u:p@mail.test", "Club <club@x.test>")


def test_an_owner_template_failing_with_a_python_error_gives_way_too_and_the_preview_says_why():
    broken = render.Draft("{{ data.points + 'x' }}", "{{ data.points + 'x' }}")
    own = {("points.earned", "email", "en"): broken}
    english = Settings(language="en", time_zone="UTC")
    words = render.email(SHOP, english, message("points.earned", points=2), None, own=own)
    assert words.subject == "You earned 2 points"
    with pytest.raises(TemplateError, match="TypeError"):
        render.email(SHOP, english, message("points.earned"), None, draft=broken)
