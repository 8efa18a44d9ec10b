"""Outgoing calls to store platforms: the contract each platform implements (contract.Platform:
install, a hold's discount code, reconciliation), their registry (registry.PLATFORMS, by
``Shop.platform``), one package per platform with its own client, and one error type for all."""

from __future__ import annotations

from plugin.core.errors import LoyaltyError


class PlatformError(LoyaltyError):
    """A store platform refused or failed a call; 502 because the fault is upstream of us."""

    status, code = 502, "platform_error"
    #: Seconds the platform asked us to wait (its rate limit); None for any other failure.
    retry_after: int | None = None


class RateLimited(PlatformError):
    """A platform's request limit is reached (its answer, or our own count before it): try again
    after ``retry_after`` seconds."""

    status, code = 503, "platform_rate_limited"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


def seconds(value: str | None, default: int) -> int:
    """Seconds from a Retry-After header (1 to 3600), the default when it is missing or unreadable."""
    try:
        return max(1, min(int(str(value).strip()), 3600))
    except (TypeError, ValueError):
        return default


def answer(response, where: str):
    """The JSON body of a platform's answer; a refusal or a body that is not JSON is a PlatformError
    that says ``where`` (e.g. "shop.example answered 500 to GET /orders")."""
    if not response.ok:
        raise PlatformError(f"{where}: {response.text[:200]}")
    try:
        return response.json()
    except ValueError:
        raise PlatformError(f"{where} without JSON") from None
