"""A Babel extractor for keys that Babel's own extractors cannot see (babel.cfg uses it).

Some helpers add a prefix to the keys they are given (the widget's ``this.t("title")`` reads
``widget.title``; the rules page's ``w("earning.title")`` reads ``rules.earning.title``), and some
keys are named by data (``this.t(e.code)``). For a file, ``calls`` names those helpers and
``prefix`` what they add: every key-shaped string literal among a call's arguments is a key in
use (both branches of ``a ? "x" : "y"``), and so is every word of an ``i18n-keys:`` comment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

LITERAL = re.compile(r"""(?<![=!]=\s)(?<![=!]==\s)(["'])([a-z][A-Za-z0-9_.]*[A-Za-z0-9])\1""")
NESTED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")  # a call's or a subscript's own literals are not keys
DECLARED = re.compile(r"i18n-keys:([ \w.]+)")


def _arguments(text: str, start: int) -> str:
    """The text between the parenthesis at ``start`` and its match, without nested calls and subscripts."""
    depth, end = 0, len(text)
    for end in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[end], 0)
        if depth == 0:
            break
    inner, previous = text[start + 1:end], None
    while inner != previous:
        inner, previous = NESTED.sub("", inner), inner
    return inner


def extract_keys(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, None, str, list]]:
    text = fileobj.read().decode(options.get("encoding", "utf-8"))
    prefix = options.get("prefix", "")
    calls = "|".join(re.escape(call) for call in options.get("calls", "").split())
    found = []
    if calls:
        for call in re.finditer(rf"(?<![\w.])(?:{calls})\(", text):
            found += [(call.start(), key) for _, key in LITERAL.findall(_arguments(text, call.end() - 1))]
    for declared in DECLARED.finditer(text):
        found += [(declared.start(), key) for key in declared.group(1).split()]
    for offset, key in found:
        yield text.count("\n", 0, offset) + 1, None, prefix + key, []
