"""GET /widget/v1/strings: the widget's texts per language from the catalogue, public and cacheable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from plugin.core.i18n import keys

WIDGET_JS = Path(__file__).resolve().parents[2] / "widgets" / "static" / "loyalty.js"


@pytest.mark.parametrize(("asked", "lang", "title"), [
    ("ru", "ru", "Ваши баллы"), ("ru-RU", "ru", "Ваши баллы"),
    ("de", "en", "Your points"), (None, "en", "Your points"),
])
def test_strings_come_in_the_asked_language_or_english(client, asked, lang, title):
    response = client.get("/widget/v1/strings", query_string={"lang": asked} if asked else {})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["lang"], body["texts"]["title"], response.headers["Content-Language"]) == (lang, title, lang)
    assert set(body["texts"]) == {key.removeprefix("widget.") for key in keys("widget.")}


def test_strings_need_no_shopper_and_any_storefront_may_cache_them(client):
    response = client.get("/widget/v1/strings?lang=en", headers={"Origin": "https://elsewhere.example"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_plural_words_come_by_cldr_category(client):
    ru = client.get("/widget/v1/strings?lang=ru").get_json()["plurals"]
    en = client.get("/widget/v1/strings?lang=en").get_json()["plurals"]
    assert ru["points"] == {"one": "{n} балл", "few": "{n} балла", "many": "{n} баллов", "other": "{n} балла"}
    assert en["orders"] == {"one": "{n} order", "other": "{n} orders"}


def test_the_widget_script_holds_no_texts_of_its_own():
    script = WIDGET_JS.read_text(encoding="utf-8")
    assert "Your points" not in script and not re.search("[а-яё]", script, re.IGNORECASE)
