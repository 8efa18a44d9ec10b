"""Validation messages in the reader's language (plugin.dashboard.problems): the API's English
messages, marshmallow's defaults and ours, shown in Russian on the dashboard."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from plugin.core.errors import flatten
from plugin.core.i18n import has
from plugin.dashboard.problems import TEMPLATES, problem
from plugin.program import document
from tests.dashboard.test_dashboard import editor_document, post_form, sign_in

RU_PROGRAM = "/admin/program?lang=ru"


@pytest.mark.parametrize(("message", "ru"), [
    ("Not a valid integer.", "Это не целое число."),
    ("Missing data for required field.", "Обязательное поле не заполнено."),
    ("Unknown field.", "Неизвестное поле."),
    ("Must be greater than or equal to 0.", "Должно быть не меньше 0."),
    ("Must be one of: percent, per_amount.", "Допустимые значения: percent, per_amount."),
    ("unknown category 'toys'", "неизвестная категория 'toys'"),
    ("line 3, column 7", "строка 3, столбец 7"),
    ("points: a reason is required", "points: укажите причину"),
    ("customer: no customer 'x@example.com' in this shop; reason: a reason is required",
     "customer: в магазине нет покупателя 'x@example.com'; reason: укажите причину"),
    ("only 5 regular points can be taken, not 10", "можно списать только 5 баллов типа regular, а не 10"),
])
def test_known_messages_read_in_russian(message, ru):
    assert problem("ru", message) == ru


@pytest.mark.parametrize("message", ["Not a valid integer.", "unknown category 'toys'",
                                     "a whole number of points other than 0, at most 1000000 either way"])
def test_english_readers_see_the_message_unchanged(message):
    assert problem("en", message) == message


def test_an_unknown_message_is_shown_as_it_is():
    assert problem("ru", "something new went wrong") == "something new went wrong"


def test_every_key_of_the_table_is_in_both_catalogues():
    assert all(has("en", key) and has("ru", key) for _, key in TEMPLATES)


def test_every_message_of_a_bad_program_has_a_translation():
    bad = {"earning": {"rate": {"kind": "percent", "percent": "many"}, "point_type": "gold",
                       "rounding": 5, "unknown": 1}, "tiers": "none"}
    with pytest.raises(ValidationError) as caught:
        document.load(bad)
    messages = [m for ms in flatten(caught.value.messages).values() for m in ms]
    assert messages and all(problem("ru", m) != m for m in messages), messages


def test_the_program_page_shows_check_errors_in_the_owners_language(app, client, shop):
    sign_in(app, client, shop)
    document = editor_document(rate={"kind": "percent"}, rounding="sideways")
    response = post_form(client, RU_PROGRAM, {"action": "review", "base": "0", "document": document},
                         page=RU_PROGRAM)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "обязательно, когда kind = &#39;percent&#39;" in html and "Допустимые значения:" in html
    assert "Must be one of" not in html and "required when" not in html


def test_the_program_page_places_malformed_json_in_russian(app, client, shop):
    sign_in(app, client, shop)
    response = post_form(client, RU_PROGRAM, {"action": "review", "base": "0", "document": '{\n  "a": }'},
                         page=RU_PROGRAM)
    html = response.get_data(as_text=True)
    assert "строка 2, столбец 8" in html and "ожидается значение" in html
