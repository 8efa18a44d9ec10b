"""SMS texts planned, rendered and handed to a gateway per second.

    .venv/bin/python tests/bench/bench_notify_sms.py [--messages N] [--backend sqlite|postgres]

N shoppers with phones and consent each get one ``points.earned`` message in the outbox; the shop
sends SMS through the generic HTTP gateway to a local endpoint (a threaded http.server on loopback
that answers 200 and counts what it got). One process drains: dispatch (plan the deliveries), then
the SMS channel's ``send_due`` in rounds of 200 until none is due. Quiet hours are off and the
daily cap is above one text a shopper, so every text goes out. Prints messages per second for
the fan-out and for the sending, and checks the endpoint got each text once.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import benchlib  # noqa: I001 - first: it puts the repository root on sys.path


class Endpoint(BaseHTTPRequestHandler):
    received: list[bytes] = []
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"] or 0))
        with self.lock:
            self.received.append(body)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    os.environ["LOYALTY_SECRET_KEY"] = benchlib.SECRET_KEY

    from plugin.core import clock, db
    from plugin.core.db import database, insert_rows, session
    from plugin.core.models import Customer
    from plugin.notify import dispatch, outbox
    from plugin.notify import settings as notify_settings
    from plugin.notify.sms.channel import SMS

    server = ThreadingHTTPServer(("127.0.0.1", benchlib.free_port()), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with benchlib.scratch("bench-sms-") as tmp:
        if args.backend == "sqlite":
            db.bind(f"sqlite:///{tmp / 'bench.db'}")  # a new file: bind creates the tables
        else:
            benchlib.reset_database(benchlib.POSTGRES_URL)
        shop = benchlib.register_shop()
        now = clock.now()
        with session():
            notify_settings.save(shop, sms_provider="http", sms={"points.earned": True}, quiet_hours=(0, 0),
                                 sms_daily_cap=10, sms_config={
                                     "url": f"http://127.0.0.1:{server.server_port}/send", "method": "POST",
                                     "body": '{"to": "{phone}", "text": "{text}"}', "auth_header": None})
            insert_rows(Customer, [{"shop": shop.id, "platform_id": f"b{n}", "phone": f"7916{n:07d}",
                                    "marketing_consent_at": now} for n in range(args.messages)])
            ids = [cid for (cid,) in Customer.select(Customer.id).order_by(Customer.id).tuples()]
            with database.atomic():
                outbox.record_many(shop.id, [{"type": "points.earned", "key": f"bench:{cid}", "customer": cid,
                                              "data": {"points": 120, "balance": 860}} for cid in ids])
        started = time.perf_counter()
        dispatch.dispatch()
        planned = time.perf_counter() - started
        started, sent = time.perf_counter(), 0
        with session():
            while (batch := SMS.send_due(clock.now())):
                sent += batch
        sending = time.perf_counter() - started
    server.shutdown()
    print(benchlib.machine_note())
    print(benchlib.table(["step", "messages", "seconds", "per second"], [
        ["dispatch (plan SMS deliveries)", args.messages, f"{planned:.2f}", f"{args.messages / planned:.0f}"],
        ["render + send to local gateway", sent, f"{sending:.2f}", f"{sent / sending:.0f}"],
    ]))
    assert sent == args.messages == len(Endpoint.received), (sent, len(Endpoint.received))


if __name__ == "__main__":
    main()
