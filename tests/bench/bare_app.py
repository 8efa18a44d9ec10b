"""The baselines for bench_ingest.py and bench_widget.py: bare Flask apps, the same paths.

``app`` reads the body and answers a small JSON 200, so the difference to the plugin is exactly
what the plugin does for the request (verify, read, store, enqueue; or identify, read, serialize).
``durable`` also stores each body with one autocommitted INSERT (``DURABLE_TABLE``, in
``BARE_DATABASE_URL``) before it answers: the least a receiver that loses nothing it acknowledged
must do, so the plugin's cost can be told apart from what durability costs any server. ``reads``
runs, for each widget request, the very SQL statements the plugin ran for it (captured beforehand
by bench_widget into the pickle ``BARE_READS_FILE``, keyed by method, path and Authorization; the
statements the plugin has PostgreSQL prepare are prepared here too, once per connection) and
answers once it has fetched their rows: the least a server answering from the same data must do.
Run by gunicorn as ``bare_app:app``, ``bare_app:durable`` or ``bare_app:reads``.
"""

from __future__ import annotations

import os
import pickle
import threading
from pathlib import Path

import psycopg2
from flask import Flask, jsonify, request

DURABLE_TABLE = "bare_inbox"
#: What bench_ingest creates before it starts ``durable``: a delivery id stored once, as the
#: plugin's inbox does.
DURABLE_DDL = (f"DROP TABLE IF EXISTS {DURABLE_TABLE}; CREATE TABLE {DURABLE_TABLE} ("
               "id bigserial PRIMARY KEY, delivery_id text NOT NULL UNIQUE, body text NOT NULL, "
               "received_at timestamptz NOT NULL DEFAULT now())")

app = Flask(__name__)
durable = Flask(__name__)
reads = Flask(__name__)
_connections = threading.local()
#: "statements": (method, path, Authorization) -> the (sql, params) the plugin ran for that request,
#: in order; "prepares": a prepared statement's name -> the PREPARE that made it.
Reads = dict[str, dict]


def _connection():
    """One autocommitted connection per gunicorn thread, as a pool would lend it."""
    connection = getattr(_connections, "connection", None)
    if connection is None:
        connection = _connections.connection = psycopg2.connect(os.environ["BARE_DATABASE_URL"])
        connection.autocommit = True
    return connection


@app.post("/webhooks/shopify")
@app.post("/webhooks/custom/<domain>")
@app.route("/widget/v1/<path:endpoint>", methods=["GET", "POST"])
def receive(domain: str | None = None, endpoint: str | None = None):
    raw = request.get_data(cache=False)
    return jsonify(status="accepted", bytes=len(raw)), 200


@durable.post("/webhooks/shopify")
def store():
    raw = request.get_data(cache=False)
    with _connection().cursor() as cursor:
        cursor.execute(f"INSERT INTO {DURABLE_TABLE} (delivery_id, body) VALUES (%s, %s) "
                       "ON CONFLICT DO NOTHING", (request.headers["X-Shopify-Webhook-Id"], raw.decode()))
    return jsonify(status="accepted", bytes=len(raw)), 200


_reads: Reads = (pickle.loads(Path(os.environ["BARE_READS_FILE"]).read_bytes())  # noqa: S301 - ours
                  if os.environ.get("BARE_READS_FILE") else {"statements": {}, "prepares": {}})


@reads.route("/widget/v1/<path:endpoint>", methods=["GET", "POST"])
def replay(endpoint: str):
    request.get_data(cache=False)
    rows, connection = 0, _connection()
    held = _connections.__dict__.setdefault("prepared", set())  # this thread's connection's
    key = (request.method, request.path, request.headers["Authorization"])
    with connection.cursor() as cursor:
        for sql, params in _reads["statements"][key]:
            name = sql.split()[1] if sql.startswith("EXECUTE ") else None
            if name is not None and name not in held:
                cursor.execute(_reads["prepares"][name])
                held.add(name)
            cursor.execute(sql, params)
            rows += len(cursor.fetchall()) if cursor.description else 0
    return jsonify(status="accepted", rows=rows), 200
