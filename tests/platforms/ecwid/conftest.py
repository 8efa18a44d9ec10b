"""An Ecwid store as after the OAuth install (tests/webhooks/ecwid_bodies.py), its API mocked."""

from __future__ import annotations

from tests.webhooks.ecwid_bodies import ecwid_shop, mocked  # noqa: F401 - fixtures of this folder
