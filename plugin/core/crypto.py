"""Secrets at rest and derived keys, all from LOYALTY_SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken


class Vault:
    """Encrypts platform tokens and derives per-shop keys, so no shop secret is stored in clear."""

    def __init__(self, secret_key: str):
        self._secret = secret_key.encode()
        digest = hashlib.sha256(b"loyalty/credentials\0" + self._secret).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))
        self._derived: dict[tuple[str, int, int], str] = {}

    def encrypt(self, plaintext: str | None) -> str | None:
        return None if plaintext is None else self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str | None) -> str | None:
        if token is None:
            return None
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ValueError("stored credential does not decrypt with LOYALTY_SECRET_KEY") from None

    def derive(self, purpose: str, shop_id: int, version: int = 1) -> str:
        """A per-shop key; remembered, since a webhook receiver derives its shop's on every delivery."""
        key = (purpose, shop_id, version)
        derived = self._derived.get(key)
        if derived is None:
            mac = hmac.new(self._secret, f"{purpose}:{shop_id}:{version}".encode(), hashlib.sha256)
            derived = base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")
            if len(self._derived) >= 10_000:
                self._derived.clear()
            self._derived[key] = derived
        return derived

    def api_key(self, shop_id: int, version: int) -> str:
        """The shop's API key: 'lk_<shop id>_<mac>', checked by recomputing, never stored."""
        return f"lk_{shop_id}_{self.derive('api-key', shop_id, version)}"

    def webhook_secret(self, shop_id: int) -> str:
        """Signing secret for shops that post their own webhooks (custom stores, the demo)."""
        return self.derive("webhook", shop_id)


def hmac_sha256(secret: str, message: bytes) -> bytes:
    return hmac.digest(secret.encode(), message, "sha256")  # one-shot: no HMAC object in Python


def same(a: str | bytes, b: str | bytes) -> bool:
    """Constant-time comparison of two secrets or signatures."""
    if isinstance(a, str):
        a = a.encode()
    if isinstance(b, str):
        b = b.encode()
    return hmac.compare_digest(a, b)
