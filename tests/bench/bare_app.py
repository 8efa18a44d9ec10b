"""The baseline for bench_ingest.py and bench_widget.py: a bare Flask app, the same paths.

It reads the body and answers a small JSON 200, so the difference to the plugin is exactly what the
plugin does for the request (verify, read, store, enqueue; or identify, read, serialize). Run by
gunicorn as ``bare_app:app``.
"""

from __future__ import annotations

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/webhooks/shopify")
@app.post("/webhooks/custom/<domain>")
@app.route("/widget/v1/<path:endpoint>", methods=["GET", "POST"])
def receive(domain: str | None = None, endpoint: str | None = None):
    raw = request.get_data(cache=False)
    return jsonify(status="accepted", bytes=len(raw)), 200
