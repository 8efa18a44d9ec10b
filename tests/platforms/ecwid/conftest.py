"""An Ecwid store as after the OAuth install (tests/webhooks/ecwid_bodies.py), its API ecwid_api."""

from __future__ import annotations

from tests.webhooks.ecwid_bodies import ecwid_api, ecwid_shop, send  # noqa: F401 - fixtures of this folder
