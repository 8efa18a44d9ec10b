"""How many SMS segments a text costs: GSM-7 when every character is in the GSM 03.38 alphabet
(160 a segment, 153 when concatenated; the extension characters count twice), else UCS-2 (70 a
segment, 67 when concatenated: Cyrillic, emoji). Gateways bill per segment, so the owner sees it."""

from __future__ import annotations

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")  # sent as an escape and the character: two septets

GSM7, UCS2 = "gsm7", "ucs2"
SINGLE = {GSM7: 160, UCS2: 70}
CONCATENATED = {GSM7: 153, UCS2: 67}  # the rest carries the header that joins the parts


def encoding(text: str) -> str:
    return GSM7 if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text) else UCS2


def units(text: str, coding: str) -> int:
    """The text's length as the network counts it: septets for GSM-7, UTF-16 code units for UCS-2."""
    if coding == GSM7:
        return sum(2 if c in GSM7_EXTENSION else 1 for c in text)
    return len(text.encode("utf-16-le")) // 2


def count(text: str) -> int:
    """Segments the text is sent in (0 for an empty text)."""
    coding = encoding(text)
    length = units(text, coding)
    if length <= SINGLE[coding]:
        return 1 if length else 0
    return -(-length // CONCATENATED[coding])
