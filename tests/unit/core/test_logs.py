"""No API key or signature lands in a log line: keys only as Bearer tokens, and the access logs
(the embedded server's and the gunicorn format the README recommends) carry no query strings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

from gunicorn.config import Config
from gunicorn.glogging import Logger

from plugin.http import gunicorn_conf
from tests.helpers import shopify_query

README = Path(__file__).resolve().parents[3] / "README.md"


def gunicorn_line(path: str, query: str) -> str:
    """The access log line gunicorn writes with our config for one request."""
    config = Config()
    config.set("accesslog", gunicorn_conf.accesslog)
    config.set("access_log_format", gunicorn_conf.access_log_format)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"{path}?{query}", "PATH_INFO": path,
               "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.1",
               "HTTP_REFERER": f"https://loyalty.example.com{path}?{query}"}
    response = SimpleNamespace(status="200 OK", sent=12, headers=[])
    atoms = Logger(config).atoms(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=3))
    return config.access_log_format % Logger.atoms_wrapper_class(atoms)


def test_the_recommended_gunicorn_access_log_names_the_path_without_the_query():
    query = urlencode(shopify_query())
    line = gunicorn_line("/admin", query)
    assert '"GET /admin HTTP/1.1" 200 12 3ms' in line
    assert "hmac" not in line and shopify_query()["hmac"] not in line
    assert "-c python:plugin.http.gunicorn_conf" in README.read_text(encoding="utf-8")
