"""Shared pieces of the benchmarks: paths, the databases, realistic bodies, servers, figures.

Not a test module (pytest does not collect tests/bench). The scripts put the repository root on
sys.path themselves, so ``.venv/bin/python tests/bench/bench_x.py`` works from the repo root.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

POSTGRES_URL = os.environ.get("LOYALTY_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("LOYALTY_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
SECRET_KEY = "bench-secret-key-0123456789abcdef"
SHOP_DOMAIN = "bench.myshopify.com"
CUSTOMER_BASE = 7_400_000_000_000
ORDER_BASE = 7_500_000_000_000
REFUND_BASE = 7_600_000_000_000
LINE_BASE = 7_700_000_000_000


def noop() -> None:
    """The job RQ's per-job overhead is measured with: it does nothing."""


# --- environment ---------------------------------------------------------------------------------

def machine_note() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"machine: {os.cpu_count()} CPU core(s), load average {load} at start; client, "
            f"servers/worker, PostgreSQL and Redis all share them (loopback only), so absolute "
            f"figures are pessimistic")


def reset_database(url: str) -> None:
    """Bind plugin.core.db to ``url`` and drop/recreate the plugin's tables (empty database)."""
    from playhouse.db_url import connect

    from plugin.core import db
    from plugin.core.models import ALL_MODELS

    if url.startswith("postgres"):  # drop first: an older schema would fail bind()'s create_tables
        raw = connect(url)
        for model in ALL_MODELS:
            raw.execute_sql(f'DROP TABLE IF EXISTS "{model._meta.table_name}" CASCADE')
        raw.close()
    db.bind(url)
    with db.session():
        # SQLite knows no CASCADE
        db.database.drop_tables(ALL_MODELS, safe=True, cascade=url.startswith("postgres"))
        db.database.create_tables(ALL_MODELS)


SENTINEL = "loyalty-bench:sentinel"


def flush_redis(url: str = REDIS_URL) -> None:
    """Empty the bench's Redis db and leave a sentinel key, see ``redis_intact``."""
    import redis

    connection = redis.Redis.from_url(url)
    connection.flushdb()
    connection.set(SENTINEL, 1)


def redis_intact(url: str = REDIS_URL) -> bool:
    """False (with a warning) when something else flushed the bench's Redis db meanwhile.

    tests/conftest.py gives each test run Redis db 1 + pid % 15, which can be the bench's db and
    is flushed before every test: then queued jobs vanish and the figures are meaningless.
    """
    import redis

    if redis.Redis.from_url(url).exists(SENTINEL):
        return True
    print(f"!! Redis {url} was flushed by another process during the run (a concurrent test run "
          f"uses db 1 + pid % 15): figures are not valid. Rerun with e.g. "
          f"LOYALTY_BENCH_REDIS_URL=redis://127.0.0.1:6379/0")
    return False


def register_shop(domain: str = SHOP_DOMAIN, platform: str = "shopify"):
    from plugin.core.db import session
    from plugin.customers import shops

    with session():
        shop, _ = shops.register(platform, domain)
        if platform != "shopify":
            shops.set_currency(shop, "RUB")
    return shop


def webhook_secret(shop_id: int) -> str:
    from plugin.core.crypto import Vault

    return Vault(SECRET_KEY).webhook_secret(shop_id)


# --- realistic bodies (shaped from plugin/cli/demo_data/deliveries.json) -----------------------------

def _deliveries() -> list[dict]:
    path = REPO / "plugin" / "cli" / "demo_data" / "deliveries.json"
    return json.loads(path.read_text(encoding="utf-8"))["deliveries"]


class Bodies:
    """Builds Shopify webhook bodies with fresh ids from the demo deliveries' real payloads."""

    def __init__(self) -> None:
        deliveries = _deliveries()
        paid = [d for d in deliveries if d["topic"] == "orders/paid"
                and d["body"].get("customer") and len(d["body"]["line_items"]) == 2]
        self.order = paid[0]["body"]  # Анна's order: 2 coffee/tea lines, RUB, paid
        self.refund = next(d["body"] for d in deliveries if d["topic"] == "refunds/create")
        self.customer = next(d["body"] for d in deliveries if d["topic"] == "customers/create")
        # A third line item, so an order has ~3 lines like a typical basket.
        extra = copy.deepcopy(self.order["line_items"][0])
        extra.update(name="Чай улун 250 г", title="Чай улун 250 г", price="890.00", quantity=1,
                     sku="TEA-250", discount_allocations=[])
        self.order = copy.deepcopy(self.order)
        self.order["line_items"].append(extra)
        self.order["financial_status"] = "paid"

    def order_body(self, n: int, customer_n: int) -> dict:
        body = copy.deepcopy(self.order)
        order_id = ORDER_BASE + n
        body.update(id=order_id, name=f"#B{n}", number=n, order_number=1000 + n,
                    admin_graphql_api_id=f"gid://shopify/Order/{order_id}",
                    token=f"bench{n:012d}")
        body["customer"] = {"id": CUSTOMER_BASE + customer_n,
                            "email": f"shopper{customer_n}@example.com",
                            "first_name": "Shopper", "last_name": str(customer_n)}
        for i, line in enumerate(body["line_items"]):
            line["id"] = LINE_BASE + n * 10 + i
            line["quantity"] = 1 + (n + i) % 3
        return body

    def refund_body(self, n: int, order_n: int) -> dict:
        body = copy.deepcopy(self.refund)
        body.update(id=REFUND_BASE + n, order_id=ORDER_BASE + order_n)
        for item in body["refund_line_items"]:
            item["line_item_id"] = item["line_item"]["id"] = LINE_BASE + order_n * 10 + 2  # the tea
            item["line_item"]["price"] = "890.00"
        return body

    def customer_body(self, customer_n: int) -> dict:
        body = copy.deepcopy(self.customer)
        body.update(id=CUSTOMER_BASE + customer_n, email=f"shopper{customer_n}@example.com",
                    first_name="Shopper", last_name=str(customer_n))
        return body


def custom_order_body(shopify_body: dict, n: int) -> dict:
    """The same order as a custom store sends it (README "Connect any store"), ids as text."""
    customer = shopify_body["customer"]
    return {"version": 1, "type": "order.paid", "timestamp": "2026-05-01T12:00:00+03:00", "data": {
        "id": f"B-{n}", "currency": "RUB",
        "customer": {"id": str(customer["id"]), "email": customer["email"],
                     "first_name": customer["first_name"], "last_name": customer["last_name"]},
        "lines": [{"id": str(line["id"]), "product_id": str(line.get("product_id") or 1),
                   "sku": line.get("sku"), "title": line.get("title"), "quantity": line["quantity"],
                   "price": str(line["price"]), "discount": "0", "tags": [], "on_sale": False}
                  for line in shopify_body["line_items"]],
        "shipping": "0", "tax": "0", "discount_codes": [], "placed_at": "2026-05-01T11:58:00+03:00"}}


def raw(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


# --- processes -----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(app: str, port: int, args: Sequence[str], env: dict[str, str],
                   log_path: Path) -> subprocess.Popen:
    """Start gunicorn in its own process group; wait until it accepts connections."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process in stop()
    proc = subprocess.Popen(
        [str(gunicorn), "-b", f"127.0.0.1:{port}", "--log-level", "warning", *args, app],
        cwd=REPO, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    proc.log_file = log  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{app} exited with {proc.returncode}:\n{log_path.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    stop(proc)
    raise RuntimeError(f"{app} did not start listening on port {port}:\n{log_path.read_text()}")


def stop(proc: subprocess.Popen | None) -> None:
    """Stop a process started above (its own process group only): TERM, then KILL."""
    if proc is None:
        return
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(5)
    log = getattr(proc, "log_file", None)
    if log is not None:
        log.close()


# --- figures -------------------------------------------------------------------------------------

@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A folder for a run's files; afterwards the plugin's database connection closed and the folder gone."""
    from plugin.core.db import database

    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield workdir
    finally:
        if not database.is_closed():
            database.close()
        shutil.rmtree(workdir, ignore_errors=True)


def run_together(threads: Sequence[threading.Thread], barrier: threading.Barrier) -> float:
    """Start the client threads, release them at once through ``barrier`` (they wait on it too, so
    it holds one party more than there are threads) and wait for the last: the wall-clock seconds."""
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted sequence."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def medians(runs: Sequence[dict], keys: Iterable[str]) -> dict[str, float]:
    """Each figure's median over the rounds: on this shared machine the bare endpoint's rate moved
    1.6x between runs minutes apart, so a ratio is taken of medians, not of one run of each."""
    return {key: statistics.median(run[key] for run in runs) for key in keys}


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w)
                       for i, (c, w) in enumerate(zip(row, widths, strict=True)))
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- CPU seconds, from /proc ----------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: Iterable[int]) -> dict[int, float]:
    """User + system CPU seconds so far of each of these processes that is alive on this machine
    (/proc/<pid>/stat); the others are left out."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone, or not on this machine (a PostgreSQL elsewhere)
        found[pid] = (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
    return found


@contextmanager
def in_process() -> Iterator[dict[str, float]]:
    """Wall seconds, this process's CPU seconds and its PostgreSQL backend's (0 on SQLite) while the
    block ran, filled in when it ends: on a shared machine a change is judged by CPU, not wall."""
    from peewee import PostgresqlDatabase

    from plugin.core.db import database

    backend = ([database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]]
               if isinstance(database.obj, PostgresqlDatabase) else [])
    wall, cpu, pg = time.perf_counter(), time.process_time(), sum(cpu_seconds(backend).values())
    spent: dict[str, float] = {}
    yield spent
    spent.update(wall=time.perf_counter() - wall, cpu=time.process_time() - cpu,
                 backend=sum(cpu_seconds(backend).values()) - pg)


# --- where the machine's CPU went during a measurement -----------------------------------------------

CPU_GROUPS = (("servers", "gunicorn"), ("PostgreSQL", "postgres"), ("Redis", "redis-server"))


def _cpu_by_process() -> dict[int | str, tuple[str, float]]:
    """(group, CPU seconds so far) of every live process of CPU_GROUPS (matched on the command
    line), and of this script's finished children ("wrk": it exits within the measurement)."""
    import resource

    groups: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile
            continue
        group = next((name for name, marker in CPU_GROUPS if marker in command), None)
        if group:
            groups[int(entry.name)] = group
    found: dict[int | str, tuple[str, float]] = {
        pid: (groups[pid], seconds) for pid, seconds in cpu_seconds(groups).items()}
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    found["children"] = ("wrk", children.ru_utime + children.ru_stime)
    return found


@contextmanager
def cpu_split() -> Iterator[dict[str, float]]:
    """Cores used on average by servers, PostgreSQL, Redis and wrk while the block ran (filled in
    when it ends), and the load average after it: on a 2-core machine they all share the cores.
    A process that ended within the block is not counted (a PostgreSQL backend of someone else's)."""
    before, started = _cpu_by_process(), time.monotonic()
    split: dict[str, float] = {}
    yield split
    after, wall = _cpu_by_process(), time.monotonic() - started
    split.update(dict.fromkeys([*(name for name, _ in CPU_GROUPS), "wrk"], 0.0))
    for key, (name, seconds) in after.items():
        split[name] += (seconds - before.get(key, (name, 0.0))[1]) / wall
    split["load"] = os.getloadavg()[0]


def cpu_note(split: dict[str, float]) -> str:
    parts = ", ".join(f"{name} {split[name]:.2f}" for name in [*(name for name, _ in CPU_GROUPS), "wrk"])
    return f"cores busy: {parts}; load average {split['load']:.2f}"
