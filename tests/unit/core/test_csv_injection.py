"""Every CSV the plugin writes keeps formula text from running in a spreadsheet (CSV injection),
and keeps numbers, negative ones included, as numbers."""

from __future__ import annotations

import pytest

from plugin.core import csvfile


@pytest.mark.parametrize(("value", "written"), [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1+2", "'-1+2"), ("@A1", "'@A1"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("-50", "-50"), ("-12.50", "-12.50"), (-50, -50), ("plain", "plain"), ("", ""), (None, None),
])
def test_one_function_escapes_formula_text_and_leaves_numbers(value, written):
    assert csvfile.safe(value) == written


def test_the_csv_writer_escapes_every_text_cell_it_is_given():
    assert "".join(csvfile.lines([["=x", -5, "-5", "@y"]])) == "'=x,-5,-5,'@y\r\n"
