"""What a request handler needs from the app: settings and the vault (app.extensions["loyalty"])."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from plugin.config import Settings
from plugin.core.crypto import Vault


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    vault: Vault


def runtime() -> Runtime:
    return current_app.extensions["loyalty"]
