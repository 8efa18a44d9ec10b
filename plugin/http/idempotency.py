"""The Idempotency-Key header at the route: claim the key, run the view once, replay its answer.

``@idempotent(for_shop)`` (admin API) or ``@idempotent(for_shopper)`` (widget API, one shopper's
key never answers another's) goes right above the view. Without the header the view runs as it
always did (and refuses where it requires a key). The rules are plugin.core.idempotency's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps

from flask import Response, current_app, g, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from plugin.core import idempotency
from plugin.core.errors import Invalid, LoyaltyError

HEADER, REPLAYED = idempotency.HEADER, "Idempotent-Replayed"
KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")
RULE = "8 to 128 letters, digits, '_', '.', ':' or '-'"
UNREAD = (400, 413)  # a body we could not read (malformed, NUL, too large): nothing started


def for_shop() -> tuple[int, str]:
    """Admin API calls: the shop's keys, per endpoint."""
    return g.shop.id, request.endpoint


def for_shopper() -> tuple[int, str] | None:
    """Widget calls: the shopper's keys, per endpoint; None for a visitor (the view refuses them)."""
    shopper = g.shopper
    if not shopper.signed_in:
        return None
    return shopper.shop.id, f"{request.endpoint}:{shopper.customer_id}"


def idempotent(owner: Callable[[], tuple[int, str] | None], *, max_bytes: int | None = None):
    """Run the view once per Idempotency-Key; every retry gets the first answer (status and body).
    ``max_bytes``: the body limit of a view that accepts more than the app's (file uploads)."""

    def wrap(view):
        @wraps(view)
        def run(*args, **kwargs):
            key = request.headers.get(HEADER)
            scope = owner() if key is not None else None
            if scope is None:
                return view(*args, **kwargs)
            if not KEY.match(key):
                raise Invalid(f"{HEADER}: {RULE}", fields={HEADER: [RULE]})
            if max_bytes is not None:
                request.max_content_length = max_bytes
            print_ = idempotency.fingerprint(request.method, request.path, request.get_data())
            claim = idempotency.claim(*scope, key, print_)
            if isinstance(claim, idempotency.Stored):
                return Response(claim.body, status=claim.status, mimetype="application/json",
                                headers={REPLAYED: "true"})
            return _run_once(claim, view, args, kwargs)

        return run

    return wrap


def _run_once(claim: int, view, args, kwargs) -> Response:
    """Run the view and store its answer, a refusal (4xx) included. A 5xx, or a body we could
    not read or that failed its schema (nothing started), drops the claim instead, so a retry
    runs, as Stripe does."""
    try:
        response = current_app.make_response(view(*args, **kwargs))
    except ValidationError:
        idempotency.drop(claim)
        raise
    except (LoyaltyError, HTTPException) as exc:
        response = current_app.make_response(current_app.handle_user_exception(exc))
    except BaseException:
        idempotency.drop(claim)
        raise
    if response.status_code >= 500 or response.status_code in UNREAD:
        idempotency.drop(claim)
    else:
        idempotency.finish(claim, response.status_code, response.get_data(as_text=True))
    return response
