"""One InSales shop's Admin API (``https://<shop>/admin/*.json``), Basic auth with the app id and
the shop's password. InSales allows 500 requests per shop per 5 minutes and answers 503 (or 429)
with Retry-After beyond that: the client raises RateLimited carrying that delay and never sleeps,
so a web request never waits minutes and a job is rescheduled instead."""

from __future__ import annotations

import re

import requests

from plugin.platforms import PlatformError, RateLimited, answer, seconds

TIMEOUT = 10  # seconds, every call: a slow store must not hold a web process or a worker
#: InSales' documented default wait when a 503 names none (insales_api's wait_retry).
DEFAULT_RETRY_AFTER = 150
#: Stop this many requests short of the limit the ``API-Usage-Limit`` header reports, so the
#: shop's own other apps and a retry still have room.
USAGE_MARGIN = 10
USAGE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def retry_after(value: str | None) -> int:
    """Seconds from a Retry-After header (InSales sends seconds); the default when unreadable."""
    return seconds(value, DEFAULT_RETRY_AFTER)


class InSalesClient:
    """Every call has a timeout and fails as PlatformError (RateLimited for the limit), never raw."""

    def __init__(self, domain: str, app_id: str, password: str, session: requests.Session | None = None):
        self.domain = domain
        self.auth = (app_id, password)
        self.session = session or requests.Session()
        self.exhausted = False  # the usage header said the limit is (nearly) reached

    def get(self, path: str, params: dict | None = None):
        return self._call("GET", path, params=params)

    def post(self, path: str, payload: dict):
        return self._call("POST", path, json=payload)

    def _call(self, method: str, path: str, **kwargs):
        if self.exhausted:
            raise RateLimited(f"{self.domain}: API limit nearly reached; not calling {path}",
                              DEFAULT_RETRY_AFTER)
        try:
            response = self.session.request(method, f"https://{self.domain}{path}", auth=self.auth,
                                            timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise PlatformError(f"could not reach {self.domain}: {type(exc).__name__}") from None
        self._count(response.headers.get("API-Usage-Limit"))
        if response.status_code in (429, 503):
            raise RateLimited(f"{self.domain} answered {response.status_code} to {path} (rate limit)",
                              retry_after(response.headers.get("Retry-After")))
        return answer(response, f"{self.domain} answered {response.status_code} to {method} {path}")

    def _count(self, header: str | None) -> None:
        match = USAGE.match(header or "")
        if match and int(match.group(1)) >= int(match.group(2)) - USAGE_MARGIN:
            self.exhausted = True
