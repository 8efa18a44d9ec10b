"""Shoppers' e-mail: messages rendered, and rendered and sent, per second to a local SMTP sink.

    .venv/bin/python tests/bench/bench_notify_mail.py [--messages 2000] [--backend sqlite|postgres]

N ``points.earned`` messages (half to Russian shoppers, half to English ones, each its own shopper)
are recorded in the outbox, fanned out into deliveries (``dispatch``), then sent by the e-mail
channel exactly as the drain job sends them (``send_all``: claim due deliveries, render, one SMTP
connection per shop and batch) to plugin.cli.mail_sink (aiosmtpd) on loopback, in a process of its
own as a mail server would be (in this process it would take the GIL from the sender); every e-mail
is counted at the sink. Rendering alone (subject, text and HTML, no SMTP) is timed apart.
SQLite in a temp dir by default; PostgreSQL is wiped (see tests/bench/README.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import time

import benchlib  # noqa: I001 - first: it puts the repository root on sys.path

from plugin.cli.mail_sink import Sink
from plugin.config import load_settings
from plugin.core import db
from plugin.core.db import database, session
from plugin.core.models import Customer, OutboxMessage
from plugin.notify import dispatch, outbox, render
from plugin.notify import settings as notify_settings
from plugin.notify.email import transport
from plugin.notify.types import POINTS_EARNED, SAMPLES


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    with benchlib.scratch("bench-mail-") as workdir:
        if args.backend == "postgres":
            url = benchlib.POSTGRES_URL
            benchlib.reset_database(url)
        else:
            url = f"sqlite:///{workdir / 'bench.db'}"
            db.bind(url)  # a new file: bind creates the tables
        port, received, ready = (multiprocessing.Value("i", 0), multiprocessing.Value("i", 0),
                                 multiprocessing.Event())
        sink = multiprocessing.Process(target=serve_sink, args=(port, ready, received), daemon=True)
        sink.start()
        ready.wait(10)
        try:
            run(args.messages, url, f"smtp://127.0.0.1:{port.value}", received)
        finally:
            sink.terminate()


def serve_sink(port, ready, received) -> None:
    """The sink in its own process: its port out, then how many e-mails arrived, as they arrive."""
    sink = Sink().start()
    port.value = sink.port
    ready.set()
    while True:
        with sink.received:
            sink.received.wait(0.2)
            received.value = len(sink.messages)


def wait_for(received, count: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while received.value < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return received.value


def run(count: int, url: str, smtp_url: str, received) -> None:
    settings = load_settings({"LOYALTY_DATABASE_URL": url, "LOYALTY_SECRET_KEY": benchlib.SECRET_KEY,
                              "LOYALTY_PUBLIC_URL": "https://loyalty.bench.test"})
    transport.configure(dataclasses.replace(settings, smtp_url=smtp_url, mail_from="club@bench.test"))
    shop = benchlib.register_shop()
    with session(), database.atomic():
        customers = [Customer.create(shop=shop.id, platform_id=str(n), email=f"shopper{n}@bench.test",
                                     first_name="Анна" if n % 2 else "Anna", locale="ru" if n % 2 else "en")
                     for n in range(count)]
        outbox.record_many(shop.id, [{"type": POINTS_EARNED, "key": f"lot-{c.id}", "customer": c.id,
                                      "data": {**SAMPLES[POINTS_EARNED], "points": c.id % 500}}
                                     for c in customers])
    with session():
        messages = list(OutboxMessage.select().limit(500))
        chosen = notify_settings.load(shop)
        by_id = {c.id: c for c in customers}
        started = time.perf_counter()
        for m in messages:
            render.email(shop, chosen, m, by_id[m.customer_id], unsubscribe_url="https://x.test/u")
        rendered = len(messages) / (time.perf_counter() - started)

    started = time.perf_counter()
    planned = dispatch.dispatch()
    planning = time.perf_counter() - started

    started = time.perf_counter()
    sent = 0
    with session():
        while sent < count:
            done = dispatch.send_all()
            if not done:
                break
            sent += done
    sending = time.perf_counter() - started
    arrived = wait_for(received, count, timeout=30)
    print(benchlib.machine_note())
    print(benchlib.table(["step", "messages", "seconds", "per second"], [
        ["render only (subject, text, HTML)", len(messages), "", f"{rendered:,.0f}"],
        ["dispatch (plan deliveries)", planned, f"{planning:.2f}", f"{planned / planning:,.0f}"],
        ["render + send over SMTP", sent, f"{sending:.2f}", f"{sent / sending:,.0f}"],
    ]))
    print(f"the sink received {arrived} of {count} e-mails")


if __name__ == "__main__":
    main()
