"""plugin.config: every bad setting is refused at start with a message naming its variable."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from plugin.cli.main import main
from plugin.config import ConfigError, load_settings

GOOD = {
    "LOYALTY_DATABASE_URL": "sqlite:///loyalty.db",
    "LOYALTY_SECRET_KEY": "a-secret-key-of-24-chars",
    "SHOPIFY_API_KEY": "key",
    "SHOPIFY_API_SECRET": "secret",
    "LOYALTY_PUBLIC_URL": "https://loyalty.example.test",
}

BAD = [
    pytest.param("LOYALTY_DATABASE_URL", {"LOYALTY_DATABASE_URL": "mysql://root@localhost/loyalty"},
                 id="database-scheme"),
    pytest.param("LOYALTY_REDIS_URL", {"LOYALTY_REDIS_URL": "http://127.0.0.1:6379/0"}, id="redis-scheme"),
    pytest.param("LOYALTY_SECRET_KEY", {"LOYALTY_SECRET_KEY": "too-short"}, id="short-secret-key"),
    pytest.param("LOYALTY_SECRET_KEY", {"LOYALTY_SECRET_KEY": "", "SHOPIFY_API_KEY": "",
                                        "SHOPIFY_API_SECRET": "",
                                        "LOYALTY_DATABASE_URL": "postgresql://postgres@127.0.0.1/loyalty"},
                 id="no-secret-key-with-postgres"),
    pytest.param("SHOPIFY_API_SECRET", {"SHOPIFY_API_SECRET": ""}, id="shopify-key-without-secret"),
    pytest.param("SHOPIFY_API_KEY", {"SHOPIFY_API_KEY": ""}, id="shopify-secret-without-key"),
    pytest.param("ECWID_CLIENT_SECRET", {"ECWID_CLIENT_ID": "123"}, id="ecwid-id-without-secret"),
    pytest.param("ECWID_CLIENT_ID", {"ECWID_CLIENT_SECRET": "s"}, id="ecwid-secret-without-id"),
    pytest.param("LOYALTY_PUBLIC_URL", {"LOYALTY_PUBLIC_URL": "ftp://loyalty.example.test"},
                 id="public-url-scheme"),
    pytest.param("LOYALTY_PUBLIC_URL", {"LOYALTY_PUBLIC_URL": "https://"}, id="public-url-no-host"),
    pytest.param("LOYALTY_MAX_BODY_BYTES", {"LOYALTY_MAX_BODY_BYTES": "1MB"}, id="max-body-not-a-number"),
    pytest.param("LOYALTY_MAX_BODY_BYTES", {"LOYALTY_MAX_BODY_BYTES": "0"}, id="max-body-zero"),
    pytest.param("LOYALTY_BATCH_SIZE", {"LOYALTY_BATCH_SIZE": "many"}, id="batch-size-not-a-number"),
    pytest.param("LOYALTY_BATCH_SIZE", {"LOYALTY_BATCH_SIZE": "-5"}, id="batch-size-negative"),
    pytest.param("LOYALTY_PREPARED_STATEMENTS", {"LOYALTY_PREPARED_STATEMENTS": "maybe"},
                 id="prepared-statements-not-a-flag"),
]


def test_good_settings_load_every_value():
    settings = load_settings({**GOOD, "LOYALTY_REDIS_URL": "redis://127.0.0.1:6379/0",
                              "LOYALTY_MAX_BODY_BYTES": "2048", "LOYALTY_BATCH_SIZE": "10"})
    assert settings.redis_url == "redis://127.0.0.1:6379/0" and settings.uses_redis
    assert (settings.max_body_bytes, settings.batch_size) == (2048, 10)
    assert settings.secret_is_generated is False


@pytest.mark.parametrize(("variable", "change"), BAD)
def test_bad_setting_raises_config_error_naming_the_variable(variable, change):
    with pytest.raises(ConfigError) as raised:
        load_settings({**GOOD, **change})
    assert str(raised.value).startswith(f"{variable}: ")


def test_no_settings_default_to_sqlite_without_redis():
    settings = load_settings({})
    assert settings.database_url.startswith("sqlite:///")
    assert settings.redis_url is None and not settings.uses_redis
    assert settings.secret_is_generated is True
    assert settings.public_url == "http://127.0.0.1:5000"


def test_shopify_secret_without_secret_key_is_refused():
    with pytest.raises(ConfigError, match="^LOYALTY_SECRET_KEY: "):
        load_settings({"SHOPIFY_API_KEY": "key", "SHOPIFY_API_SECRET": "secret"})


def test_ecwid_credentials_load_together_and_need_a_secret_key():
    settings = load_settings({**GOOD, "ECWID_CLIENT_ID": "123", "ECWID_CLIENT_SECRET": "s"})
    assert (settings.ecwid_client_id, settings.ecwid_client_secret) == ("123", "s")
    with pytest.raises(ConfigError, match="^LOYALTY_SECRET_KEY: "):
        load_settings({"ECWID_CLIENT_ID": "123", "ECWID_CLIENT_SECRET": "s"})


def test_public_url_trailing_slash_is_dropped():
    assert load_settings({**GOOD, "LOYALTY_PUBLIC_URL": "https://x.test/"}).public_url == "https://x.test"


def _must_not_serve(*args, **kwargs):
    raise AssertionError("the server started despite a bad setting")


@pytest.mark.parametrize(("variable", "change"), BAD)
def test_serve_with_bad_setting_exits_non_zero_naming_the_variable(variable, change, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setattr("werkzeug.serving.run_simple", _must_not_serve)
    env = {**GOOD, "LOYALTY_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
           "LOYALTY_REDIS_URL": "", "LOYALTY_MAX_BODY_BYTES": "", "LOYALTY_BATCH_SIZE": "", **change}
    result = CliRunner().invoke(main, ["serve", "--port", "0"], env=env)
    assert result.exit_code != 0
    assert f"configuration: {variable}: " in result.output


def test_serve_with_good_settings_hands_the_app_to_the_server(tmp_path, monkeypatch):
    served = []
    monkeypatch.setattr("werkzeug.serving.run_simple", lambda *args, **kwargs: served.append(args))
    env = {**GOOD, "LOYALTY_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}", "LOYALTY_REDIS_URL": "",
           "LOYALTY_MAX_BODY_BYTES": "", "LOYALTY_BATCH_SIZE": ""}
    result = CliRunner().invoke(main, ["serve", "--port", "8123"], env=env)
    assert result.exit_code == 0, result.output
    ((host, port, app),) = served
    assert (host, port) == ("127.0.0.1", 8123)
    assert app.extensions["loyalty"].settings.database_url == env["LOYALTY_DATABASE_URL"]


@pytest.mark.parametrize(("value", "on"), [("1", True), ("on", True), ("TRUE", True),
                                           ("0", False), ("off", False), ("no", False)])
def test_prepared_statements_is_a_flag_on_by_default(value, on):
    assert load_settings(GOOD).prepared_statements is True
    assert load_settings({**GOOD, "LOYALTY_PREPARED_STATEMENTS": value}).prepared_statements is on
