"""Unauthenticated pages: the manifest, a health check and a landing page."""

from __future__ import annotations

from flask import Blueprint, jsonify

from plugin.core.db import database
from plugin.http.manifest import manifest
from plugin.http.runtime import runtime

bp = Blueprint("public", __name__)


@bp.get("/manifest.json")
def manifest_json():
    return jsonify(manifest())


@bp.get("/healthz")
def health():
    database.execute_sql("SELECT 1")
    return jsonify(status="ok", queue="redis" if runtime().settings.uses_redis else "in-process")


@bp.get("/")
def index():
    info = manifest()
    return jsonify(
        name=info["name"], version=info["version"],
        links={"manifest": "/manifest.json", "install": "/install?shop=<shop>.myshopify.com",
               "health": "/healthz", "api": "/api/v1/customers/<platform customer id>"},
    )
