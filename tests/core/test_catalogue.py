"""Both catalogues hold every key in use (as babel.cfg extracts them), the same keys, and the
same placeholders and plural shape for each: a missing text fails here, not on a page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from plugin.core.i18n import LANGUAGES, catalogue_path

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"translate": (2,), "template": (2,), "forms": (2,), "t": None}
KEY = re.compile(r"^[a-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$|^(points|orders)$")


def catalogue(lang: str) -> dict[str, tuple[str, ...]]:
    with catalogue_path(lang).open("rb") as source:
        return {(m.id[0] if m.pluralizable else m.id): (m.string if m.pluralizable else (m.string,))
                for m in read_po(source, locale=lang) if m.id}


def keys_in_use() -> dict[str, str]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = {}
    for filename, lineno, message, _, _ in extract_from_dir(ROOT, method_map, options_map, keywords=KEYWORDS):
        key = message[0] if isinstance(message, tuple) else message
        if key and KEY.match(key):
            found.setdefault(key, f"{filename}:{lineno}")
    return found


def test_extraction_finds_the_keys_of_python_templates_and_the_widget():
    used = keys_in_use()
    assert {"nav.overview", "points", "rules.quoted", "widget.title", "widget.not_enough_points",
            "upload.need_file"} <= set(used)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_in_use_has_a_translation(lang):
    texts = catalogue(lang)
    missing = {key: where for key, where in keys_in_use().items() if not all(texts.get(key, ("",)))}
    assert not missing, f"{lang}: keys without a text: {missing}"


def test_both_catalogues_have_the_same_keys_placeholders_and_plural_shape():
    en, ru = catalogue("en"), catalogue("ru")
    assert set(en) == set(ru), set(en) ^ set(ru)
    for key in en:
        assert (len(en[key]), len(ru[key])) in ((1, 1), (2, 3)), key
        names = {frozenset(re.findall(r"{(\w+)}", form)) for form in en[key] + ru[key]}
        assert len(names) == 1, key
