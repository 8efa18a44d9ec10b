"""A local SMTP server that keeps what it receives: the demo's mail "goes out" to it at once (and
the outbox page shows it), and the tests read the e-mails they caused from it. It can be told to
refuse a recipient with a given reply, as a real server refuses a mailbox that does not exist."""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.port = port or _free_port(host)
        self.messages: list[EmailMessage] = []
        self.refuse: dict[str, str] = {}  # lower-cased recipient -> the reply, "550 5.1.1 no such user"
        self.received = threading.Condition()
        self._controller = Controller(self, hostname=host, port=self.port)
        self.running = False

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> Sink:
        self._controller.start()
        self.running = True
        return self

    def stop(self) -> None:
        """Stop serving (again: nothing happens)."""
        if self.running:
            self._controller.stop()
            self.running = False

    def wait(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """The messages once at least ``count`` arrived (or the timeout passed)."""
        with self.received:
            self.received.wait_for(lambda: len(self.messages) >= count, timeout)
            return list(self.messages)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        reply = self.refuse.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        mail = message_from_bytes(envelope.content, policy=policy.default)
        with self.received:
            self.messages.append(mail)
            self.received.notify_all()
        return "250 Message accepted for delivery"


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
