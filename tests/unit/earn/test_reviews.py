"""Review points from Judge.me and from the generic Standard Webhooks endpoint, signed for real."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError, WebhookVerificationError

from tests.helpers import fixture_json
from webhooks import judgeme
from webhooks.reviews import standard_secret

VECTORS = "standard-webhooks/vectors.json"


# --- Standard Webhooks: the official vectors, with the library we verify with ---------------------

def test_official_vector_signs_identically_and_expires_after_the_tolerance():
    vector = fixture_json(VECTORS)["sign_vector"]
    hook = Webhook(vector["secret"])
    sent_at = datetime.fromtimestamp(int(vector["webhook-timestamp"]), UTC)
    assert hook.sign(vector["webhook-id"], sent_at, vector["payload"]) == vector["expected_signature"]
    headers = {k: vector[k] for k in ("webhook-id", "webhook-timestamp")}
    with pytest.raises(WebhookVerificationError, match="too old"):  # 2021: far past 5 minutes
        hook.verify(vector["payload"], {**headers, "webhook-signature": vector["expected_signature"]})


def test_official_negative_vectors_fail_and_a_good_entry_among_garbage_passes():
    fixture = fixture_json(VECTORS)
    vector, negative = fixture["sign_vector"], fixture["negative_vectors"]
    hook, now = Webhook(vector["secret"]), datetime.now(UTC)
    headers = {"webhook-id": vector["webhook-id"], "webhook-timestamp": str(int(now.timestamp()))}
    good = hook.sign(vector["webhook-id"], now, vector["payload"])
    garbage = " ".join(negative["garbage_signatures_in_multi_sig_header"])
    # the first base64 character after "v1," carries six bits of the MAC; the last one before "="
    # carries only four (changing its two padding bits may decode to the same bytes)
    flipped = good[:3] + ("A" if good[3] != "A" else "B") + good[4:]
    for bad in (garbage, flipped, negative["bit_flipped_signature_must_fail"]):
        with pytest.raises(WebhookVerificationError):
            hook.verify(vector["payload"], {**headers, "webhook-signature": bad})
    hook.verify(vector["payload"], {**headers, "webhook-signature": f"{garbage} {good}"}, json_parse=False)
    for stale in (now - timedelta(seconds=301), now + timedelta(seconds=301)):
        stamp = {**headers, "webhook-timestamp": str(int(stale.timestamp()))}
        with pytest.raises(WebhookVerificationError):
            hook.verify(vector["payload"], {**stamp, "webhook-signature": hook.sign(
                vector["webhook-id"], stale, vector["payload"])})
    for empty in negative["empty_secrets_must_raise"]:
        with pytest.raises(EmptyWebhookSecretError):
            Webhook(empty)


@pytest.mark.parametrize("case", fixture_json(VECTORS)["unpadded_secret_cases"])
def test_unpadded_secrets_decode_like_the_reference(case):
    expected = Webhook(base64.b64decode(case["decodes_as"]))
    stamp = datetime(2024, 1, 1, tzinfo=UTC)
    assert Webhook(case["secret_given"]).sign("m", stamp, "x") == expected.sign("m", stamp, "x")


def test_shop_secret_in_standard_form_keys_hmac_with_its_bytes():
    form = standard_secret("s3cret")
    assert form == "whsec_" + base64.b64encode(b"s3cret").decode()
    assert base64.b64decode(form.removeprefix("whsec_")) == b"s3cret"


def test_judgeme_signature_is_hex_hmac_of_the_raw_body():
    raw = b'{"event": "review/created"}'
    assert judgeme.sign("key", raw) == hmac.new(b"key", raw, hashlib.sha256).hexdigest()
    assert judgeme.valid("key", raw, judgeme.sign("key", raw).upper())
    assert not judgeme.valid("key", raw + b" ", judgeme.sign("key", raw))
    assert not judgeme.valid("key", raw, None)


# --- Receivers and the ledger, on both backends -----------------------------------------------------


