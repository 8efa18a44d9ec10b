"""A receiving endpoint for outbound webhook tests: a real HTTP server on 127.0.0.1 in a thread,
which records what it accepted and can be taken down (503) or made to redirect. Given the
subscription's secret it verifies each delivery with the standardwebhooks library as it arrives,
as a real receiver does, and answers 401 to one that does not verify."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    payload: dict | None = None  # verified and parsed, when the receiver has the secret


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    answer: int = 204  # 503 while "down", 302 to test redirects
    received: list[Received] = field(default_factory=list)
    refused: int = 0  # requests answered with a non-2xx
    secret: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/loyalty"


def start() -> Receiver:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer, payload = receiver.answer, None
            if receiver.secret and 200 <= answer < 300:
                try:
                    payload = Webhook(receiver.secret).verify(body, headers)
                except WebhookVerificationError:
                    answer = 401
            if 200 <= answer < 300:
                receiver.received.append(Received(headers, body, payload))
            else:
                receiver.refused += 1
            self.send_response(answer)
            if answer == 302:
                self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver
