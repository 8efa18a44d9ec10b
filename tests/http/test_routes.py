"""Routes recorded by a module reach the app only through the blueprint its package registers."""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask, g

from plugin.http.routes import Routes


def _module_routes() -> Routes:
    routes = Routes()

    @routes.before_request
    def who():
        g.who = "owner"

    @routes.get("/hello/<name>")
    def hello(name: str):
        return f"{g.who} says hello to {name}"

    @routes.post("/echo")
    def echo():
        return "posted", 201

    @routes.errorhandler(KeyError)
    def missing(error):
        return "missing", 404

    @routes.get("/broken")
    def broken():
        raise KeyError("x")

    return routes


def _app(*routes: Routes) -> Flask:
    app = Flask(__name__)
    bp = Blueprint("demo", __name__, url_prefix="/demo")
    for recorded in routes:
        recorded.register(bp)
    app.register_blueprint(bp)
    return app


def test_recording_adds_no_route_until_registered():
    routes = _module_routes()
    assert [rule.rule for rule in Flask(__name__).url_map.iter_rules()] == ["/static/<path:filename>"]
    assert {rule.endpoint for rule in _app(routes).url_map.iter_rules()} >= {"demo.hello", "demo.echo"}


def test_replayed_routes_keep_their_methods_hooks_and_error_handlers():
    client = _app(_module_routes()).test_client()
    assert client.get("/demo/hello/ann").get_data(as_text=True) == "owner says hello to ann"
    assert client.post("/demo/echo").status_code == 201
    assert client.get("/demo/echo").status_code == 405
    assert client.get("/demo/broken").status_code == 404


def test_one_recording_serves_many_apps():
    routes = _module_routes()
    assert _app(routes).test_client().get("/demo/hello/a").status_code == 200
    assert _app(routes).test_client().get("/demo/hello/b").status_code == 200


def test_a_name_that_is_no_blueprint_method_is_an_attribute_error():
    with pytest.raises(AttributeError):
        Routes().no_such_method  # noqa: B018
