"""InSales: the shop's API password, the Admin API client (rate limit aware) and the adapter on the
platform contract (install work, reconciliation by ``updated_since``; the plugin's own codes are the
discount, which InSales asks for through its external discount).

It imports core/, customers/ and the platform contract; no Flask."""

from __future__ import annotations

import hashlib

#: The external discount's title at checkout; the paid order carries it back, which is how the
#: inbound mapper finds the hold's code on the order (keep the two in step).
DISCOUNT_TITLE = "Баллы {code}"


def md5_hex(text: str) -> str:
    """InSales' digests (passwords, autologin tokens) are lowercase hex MD5 of joined strings."""
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def password(token: str, app_secret: str) -> str:
    """The shop's API password, from the install request's token: MD5(token + app secret)."""
    return md5_hex(token + app_secret)
