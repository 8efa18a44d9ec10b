"""The baseline for bench_ingest.py: a bare Flask app with one POST endpoint.

It reads the body and answers a small JSON 200, so the difference to the plugin's receiver is
exactly verify + parse + map + store + enqueue.  Run by gunicorn as ``bare_app:app``.
"""

from __future__ import annotations

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/webhooks/shopify")
@app.post("/webhooks/custom/<domain>")
def receive(domain: str | None = None):
    raw = request.get_data(cache=False)
    return jsonify(status="accepted", bytes=len(raw)), 200
