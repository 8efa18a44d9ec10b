"""Shopify OAuth install flow (being written)."""

from flask import Blueprint

bp = Blueprint("install", __name__)
