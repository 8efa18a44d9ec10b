"""The widget's static files (size, no HTML injection, caching) and the demo storefront's routes."""

from __future__ import annotations

import gzip
import re
from decimal import Decimal
from pathlib import Path

import pytest

from widgets import demo_store, static_bp

STATIC = Path(static_bp.__file__).with_name("static")
BUDGET = 12 * 1024


def gzipped(name: str) -> int:
    return len(gzip.compress((STATIC / name).read_bytes(), compresslevel=9))


def test_widget_script_and_stylesheet_gzipped_fit_in_12_kb():
    size = gzipped("loyalty.js") + gzipped("loyalty.css")
    assert size <= BUDGET, f"widget JS + CSS gzipped: {size} bytes"


@pytest.mark.parametrize("name", ["loyalty.js", "demo_store.js"])
@pytest.mark.parametrize("sink", [r"\.innerHTML", r"\.outerHTML", r"insertAdjacentHTML", r"\beval\s*\(",
                                  r"\bnew\s+Function\b", r"document\.write", r"setTimeout\(\s*[\"'`]"])
def test_scripts_never_write_html_or_evaluate_strings(name, sink):
    assert not re.search(sink, (STATIC / name).read_text(encoding="utf-8"))


def test_widget_script_is_plain_js_mounting_on_the_data_attribute():
    source = (STATIC / "loyalty.js").read_text(encoding="utf-8")
    assert "[data-loyalty-widget]" in source and "textContent" in source
    assert not re.search(r"^\s*(import|export)\s", source, re.MULTILINE)  # no module system, no build


# --- serving -----------------------------------------------------------------------------------


# --- the demo storefront -----------------------------------------------------------------------


@pytest.mark.parametrize(("discount", "amounts"), [
    ("50.00", ["199.00", "58.00", "15.50"]), ("0.01", ["1.00", "1.00", "1.00"]), ("100.00", ["100.00"]),
])
def test_discount_allocation_sums_to_the_discount_to_the_cent(discount, amounts):
    shares = demo_store.allocate(Decimal(discount), [Decimal(a) for a in amounts])
    assert sum(shares) == Decimal(discount) and all(s >= 0 for s in shares)


