"""Reading the CSV files owners upload and writing the ones they download.

A file is a header row, then data rows. Headers are matched to our fields case-insensitively and
whatever the punctuation ("Points Balance", "points_balance" and "POINTS-BALANCE" are one), by the
aliases each reader lists (the spellings the popular loyalty apps export). A data row keeps the
number of the line it starts on, so a report can say "line 57: ..." of the file the owner has.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from plugin.core.errors import Invalid

#: Uploaded files may be larger than the JSON bodies LOYALTY_MAX_BODY_BYTES bounds (100k rows of an
#: export are about 8 MB); the file endpoints raise the limit for their own request only.
MAX_FILE_BYTES = 64 * 1024 * 1024
_PARENS = re.compile(r"\([^)]*\)")
_PUNCTUATION = re.compile(r"[^a-z0-9]+")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def canonical(header: str) -> str:
    """'Birthday (MM/DD/YYYY)' -> 'birthday', 'Points Balance' -> 'points_balance'."""
    return _PUNCTUATION.sub("_", _PARENS.sub(" ", header.lower())).strip("_")


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def decode(raw: bytes) -> str:
    """UTF-8 text (a byte order mark is dropped); anything else is a clear 422. A NUL character
    (no database text can hold one) is refused too: a UTF-16 file has one in every character."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(f"the file must be UTF-8 text (byte {exc.start} is not)",
                      fields={"file": ["not UTF-8"]}) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise Invalid(f"the file holds a NUL character (line {line}); save it as UTF-8 text",
                      fields={"file": ["NUL character"]})
    return text


@dataclass
class Row:
    line: int
    cells: dict[str, str] = field(default_factory=dict)  # our field name -> stripped cell
    error: str | None = None  # the row could not be read at all


@dataclass
class Table:
    fields: set[str]  # the fields the header provides
    ignored: list[str]  # header cells we did not use
    rows: list[Row]


def read(text: str, aliases: dict[str, tuple[str, ...]], *, one_of: tuple[str, ...]) -> Table:
    """The rows of ``text`` keyed by field; raises Invalid when the header lacks every ``one_of``.

    When several headers match one field, the alias listed first wins and the others are ignored
    (a LoyaltyLion file has both its own id and the store's customer id).
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = _header(reader)
    by_name = {canonical(cell): n for n, cell in reversed(list(enumerate(header)))}
    columns: dict[str, int] = {}
    for name, spellings in aliases.items():
        found = [by_name[s] for s in spellings if s in by_name]
        if found:
            columns[name] = found[0]
    if not any(name in columns for name in one_of):
        wanted = " or ".join(f"'{aliases[name][0]}'" for name in one_of)
        raise Invalid(f"the header row needs a {wanted} column; it has {', '.join(header) or 'none'}",
                      fields={"file": [f"no {wanted} column"]})
    ignored = [cell for n, cell in enumerate(header) if n not in columns.values()]
    return Table(set(columns), ignored, list(_rows(reader, len(header), columns)))


def _header(reader) -> list[str]:
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                return [cell.strip() for cell in cells]
    except csv.Error as exc:
        raise Invalid(f"the header row cannot be read: {exc}", fields={"file": [str(exc)]}) from None
    raise Invalid("the file is empty: a header row and data rows are expected",
                  fields={"file": ["empty"]})


def _rows(reader, width: int, columns: dict[str, int]) -> Iterator[Row]:
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Row(line, error=f"not a valid CSV row: {exc}")
            if reader.line_num < line:  # the reader did not move on: stop rather than loop
                return
            continue
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > width and not any(cell.strip() for cell in cells[width:]):
            cells = cells[:width]  # trailing empty cells, as spreadsheets write them
        if len(cells) != width:
            yield Row(line, error=f"{len(cells)} cells where the header has {width}")
            continue
        yield Row(line, {name: cells[n].strip() for name, n in columns.items()})


def safe(value: object) -> object:
    """The one guard against CSV injection, applied by ``lines`` to every cell it writes.

    Text starting with = + - @ tab or CR would run as a formula in a spreadsheet: it gets a
    leading apostrophe. Numbers stay numbers, and so does text that is a plain decimal number
    (a delta of -50, a refund of "-12.50"): a spreadsheet reads those as numbers, never formulas.
    """
    if isinstance(value, str) and value[:1] in _FORMULA_START and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """CSV text, one row at a time (for streamed responses and files written as they are read).

    Every CSV the plugin writes goes through here, so every cell goes through ``safe``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe(value) for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
