"""A real SMTP server in the test's process (plugin.cli.mail_sink on aiosmtpd) that the app's
e-mail goes to: ``mail_sink`` starts it and points the mail transport at it; read ``.messages``."""

from __future__ import annotations

import dataclasses

import pytest

from plugin.cli.mail_sink import Sink
from plugin.notify.email import transport


@pytest.fixture
def mail_sink(app):
    sink = Sink().start()
    settings = app.extensions["loyalty"].settings
    transport.configure(dataclasses.replace(settings, smtp_url=sink.url, mail_from="club@shop.example"))
    yield sink
    sink.stop()
    transport.configure(settings)
