"""One WooCommerce store's REST API (``https://<store>/wp-json/wc/v3/...``), HTTP Basic auth with
the consumer key and secret, over https only (WooCommerce's REST over plain http needs OAuth 1.0a
signatures, which the plugin does not make). Every call has a timeout and fails as PlatformError;
a 429 or a 5xx carries ``retry_after`` (the store's Retry-After, else a default), so a job is
retried later and a web request never waits."""

from __future__ import annotations

import requests

from plugin.platforms import PlatformError, RateLimited, answer, seconds

TIMEOUT = 10  # seconds, every call: a slow store must not hold a web process or a worker
API = "/wp-json/wc/v3"
DEFAULT_RETRY_AFTER = 60


class Unavailable(RateLimited):
    """The store is rate limiting or failing (429, 5xx): try again after ``retry_after`` seconds."""

    code = "platform_unavailable"


class NotFound(PlatformError):
    """The store answered 404: the object is gone (a deleted coupon or webhook is fine)."""


class WooClient:
    def __init__(self, domain: str, consumer_key: str, consumer_secret: str,
                 session: requests.Session | None = None):
        self.domain = domain
        self.auth = (consumer_key, consumer_secret)
        self.session = session or requests.Session()

    def get(self, path: str, params: dict | None = None):
        return self._call("GET", path, params=params)

    def post(self, path: str, payload: dict):
        return self._call("POST", path, json=payload)

    def delete(self, path: str, params: dict | None = None):
        return self._call("DELETE", path, params=params)

    def _call(self, method: str, path: str, **kwargs):
        try:
            response = self.session.request(method, f"https://{self.domain}{API}{path}", auth=self.auth,
                                            timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise PlatformError(f"could not reach {self.domain}: {type(exc).__name__}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise Unavailable(f"{self.domain} answered {response.status_code} to {method} {path}",
                              seconds(response.headers.get("Retry-After"), DEFAULT_RETRY_AFTER))
        if response.status_code == 404:
            raise NotFound(f"{self.domain} answered 404 to {method} {path}")
        return answer(response, f"{self.domain} answered {response.status_code} to {method} {path}")
