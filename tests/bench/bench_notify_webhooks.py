"""Outbound webhooks: messages signed (Standard Webhooks) and delivered per second to a local endpoint.

Records N outbox messages for a few hundred shoppers, fans them out (plugin.notify.dispatch) and
lets the webhook channel send them to a receiving server on loopback in this same process, which
verifies every signature with the standardwebhooks library as it arrives. Prints the fan-out rate
and the send rate, and checks that every message arrived once, in order per shopper.

    .venv/bin/python tests/bench/bench_notify_webhooks.py [--messages 5000] [--shoppers 300] \
        [--subscriptions 1] [--backend postgres|sqlite]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import benchlib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--shoppers", type=int, default=300)
    parser.add_argument("--subscriptions", type=int, default=1)
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    args = parser.parse_args()
    if not (1 <= args.messages <= 200_000 and 1 <= args.shoppers <= 100_000
            and 1 <= args.subscriptions <= 20):
        parser.error("keep --messages within 1..200000, --shoppers 1..100000, --subscriptions 1..20")

    with benchlib.scratch("loyalty-bench-webhooks-") as workdir:
        url = benchlib.POSTGRES_URL if args.backend == "postgres" else f"sqlite:///{workdir / 'bench.db'}"
        os.environ.update({"LOYALTY_SECRET_KEY": benchlib.SECRET_KEY, "LOYALTY_DATABASE_URL": url,
                           "LOYALTY_WEBHOOKS_ALLOW_PRIVATE": "1"})
        from plugin.core import clock, db
        from plugin.core.crypto import Vault
        from plugin.core.db import database, session
        from plugin.core.models import Customer, OutboxMessage
        from plugin.notify import dispatch, outbox
        from plugin.notify.types import SAMPLES, TYPES
        from plugin.notify.webhooks import channel, subscriptions
        from tests.notify import webhook_receiver

        print(benchlib.machine_note())
        if args.backend == "postgres":
            benchlib.reset_database(url)
        else:
            db.bind(url)
        shop = benchlib.register_shop()
        receiver = webhook_receiver.start()
        try:
            with session():
                secrets = [subscriptions.create(shop.id, receiver.url, ["*"], Vault(benchlib.SECRET_KEY))[1]
                           for _ in range(args.subscriptions)]
                receiver.secret = secrets[0] if args.subscriptions == 1 else None
                shoppers = [Customer.create(shop=shop.id, platform_id=str(benchlib.CUSTOMER_BASE + n),
                                            email=f"shopper{n}@example.com").id for n in range(args.shoppers)]
                kinds = list(TYPES)
                with database.atomic():
                    outbox.record_many(shop.id, [
                        {"type": kinds[n % len(kinds)], "key": f"bench-{n}",
                         "customer": shoppers[n % args.shoppers], "data": SAMPLES[kinds[n % len(kinds)]]}
                        for n in range(args.messages)])
            started = time.perf_counter()
            dispatch.dispatch()
            fanned = time.perf_counter() - started
            started = time.perf_counter()
            sent = 0
            with session():
                while True:
                    done = channel.CHANNEL.send_due(clock.now(), limit=500)
                    sent += done
                    if not done:
                        break
            elapsed = time.perf_counter() - started
            with session():
                written: dict[str, list[str]] = {}
                rows = OutboxMessage.select(OutboxMessage.uid, Customer.platform_id).join(Customer)
                for uid, customer in rows.order_by(OutboxMessage.id).tuples():
                    written.setdefault(customer, []).append(uid)
        finally:
            receiver.server.shutdown()
            receiver.server.server_close()
        deliveries = args.messages * args.subscriptions
        arrived = [json.loads(r.body)["data"]["customer"]["id"] for r in receiver.received]
        ids = [r.headers["webhook-id"] for r in receiver.received]
        verified = sum(1 for r in receiver.received if r.payload is not None)
        print(f"{args.backend}; {args.messages} messages for {args.shoppers} shoppers, {args.subscriptions} "
              f"subscription(s): {deliveries} deliveries")
        print(f"arrived {len(receiver.received)} ({len(set(ids))} distinct ids per subscription x "
              f"{args.subscriptions}), verified on arrival: "
              f"{verified if receiver.secret else 'n/a (several secrets)'}")
        got: dict[str, list[str]] = {}
        for customer, uid in zip(arrived, ids, strict=True):
            if uid not in got.get(customer, []):
                got.setdefault(customer, []).append(uid)
        print(f"in order per shopper: {'yes' if got == written else 'NO'} ({len(got)} shoppers)")
        print(benchlib.table(["step", "deliveries", "s", "per s"], [
            ["fan-out (dispatch)", deliveries, f"{fanned:.2f}", f"{deliveries / fanned:.0f}"],
            ["sign + POST (send_due)", sent, f"{elapsed:.2f}", f"{sent / elapsed:.0f}"]]))


if __name__ == "__main__":
    main()
