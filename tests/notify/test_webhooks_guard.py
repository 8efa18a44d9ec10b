"""The address guard: https only, every resolved address public, unless the operator allows private."""

from __future__ import annotations

import socket

import pytest
import requests

from plugin.notify.webhooks import guard


@pytest.mark.parametrize("address, ok", [
    ("93.184.216.34", True), ("2606:2800:220:1:248:1893:25c8:1946", True),
    ("127.0.0.1", False), ("127.8.9.10", False), ("::1", False), ("0.0.0.0", False), ("::", False),
    ("10.0.0.1", False), ("172.16.5.4", False), ("192.168.1.1", False), ("100.64.0.1", False),
    ("169.254.169.254", False), ("fe80::1%eth0", False), ("fc00::1", False),
    ("224.0.0.251", False), ("239.255.255.250", False), ("ff02::1", False),
    ("240.0.0.1", False), ("255.255.255.255", False), ("192.0.2.1", False), ("198.18.0.1", False),
    ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False), ("::ffff:93.184.216.34", True),
])
def test_public_addresses(address, ok):
    assert guard.public(address) is ok


@pytest.mark.parametrize("url", [
    "http://a.example.com/", "ftp://a.example.com/", "https://", "https://u@a.example.com/",
    "https://a.example.com:70000/", "https://a.example.com/#x", "//a.example.com/", ""])
def test_malformed_or_plain_http_urls_are_refused(url):
    with pytest.raises(guard.Refused):
        guard.target(url)


def test_a_host_that_does_not_resolve_is_refused(monkeypatch):
    def nowhere(host, port):
        raise socket.gaierror("Name or service not known")

    monkeypatch.setattr(guard, "resolve", nowhere)
    with pytest.raises(guard.Refused, match="does not resolve"):
        guard.check("https://nowhere.example.com/")


def test_one_private_address_among_public_ones_is_enough_to_refuse(monkeypatch):
    monkeypatch.setattr(guard, "resolve", lambda host, port: ["93.184.216.34", "192.168.0.10"])
    with pytest.raises(guard.Refused, match="192.168.0.10"):
        guard.check("https://mixed.example.com/")


def test_the_operator_may_allow_private_addresses_and_plain_http(monkeypatch):
    monkeypatch.setattr(guard, "resolve", lambda host, port: ["127.0.0.1"])
    with pytest.raises(guard.Refused):
        guard.check("https://127.0.0.1:8443/")
    monkeypatch.setenv(guard.ALLOW_PRIVATE, "1")
    guard.check("http://127.0.0.1:8080/hooks")
    guard.check("https://127.0.0.1:8443/")


def test_pin_aims_the_url_at_the_checked_address_and_keeps_the_name_for_host():
    assert guard.pin("https://hooks.example.com/a/b?x=1", "93.184.216.34") == (
        "https://93.184.216.34/a/b?x=1", "hooks.example.com")
    assert guard.pin("https://hooks.example.com:8443/h", "2606:2800:220:1::1") == (
        "https://[2606:2800:220:1::1]:8443/h", "hooks.example.com:8443")


def test_tls_to_a_pinned_address_names_and_verifies_the_host():
    request = requests.Request("POST", "https://93.184.216.34/h",
                               headers={"Host": "hooks.example.com"}).prepare()
    host_params, pool_kwargs = guard.PinnedAdapter().build_connection_pool_key_attributes(request, True)
    assert host_params["host"] == "93.184.216.34"
    assert pool_kwargs["server_hostname"] == pool_kwargs["assert_hostname"] == "hooks.example.com"
