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
