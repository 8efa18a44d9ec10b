"""What every `loyalty` command starts from: the settings, or the app built from them, with a
configuration error turned into a one-line message instead of a traceback."""

from __future__ import annotations

import click
from flask import Flask

from plugin.app import create_app
from plugin.config import ConfigError, Settings, load_settings


def settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None


def app() -> Flask:
    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None
