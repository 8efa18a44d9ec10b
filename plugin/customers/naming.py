"""How a customer is called wherever the owner reads about them: one rule for every page.

Their name as the store sent it; without one, the e-mail address (stored as the platform sent it,
so the owner can recognise it); without that either (a redacted customer keeps neither), the
platform id, the one thing every customer has.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from plugin.core.models import Customer


class Named(Protocol):
    first_name: str | None
    last_name: str | None
    email: str | None
    platform_id: str


def display_name(customer: Named) -> str:
    """"Анна Иванова", else "anna@example.ru", else the platform id."""
    return name_of(customer.first_name, customer.last_name, customer.email, customer.platform_id)


def name_of(first_name: str | None, last_name: str | None, email: str | None, platform_id: str) -> str:
    """display_name from the columns, for a query that selects them without a Customer row."""
    name = " ".join(part.strip() for part in (first_name, last_name) if part and part.strip())
    return name or (email or "").strip() or str(platform_id)


def names(shop_id: int, platform_ids: Iterable[str]) -> dict[str, str]:
    """{platform id: display name} of the shop's customers among ``platform_ids`` (one query; an id
    with no customer, or a customer removed, is not in it)."""
    wanted = {str(pid) for pid in platform_ids if pid}
    if not wanted:
        return {}
    rows = (Customer.select(Customer.platform_id, Customer.first_name, Customer.last_name, Customer.email)
            .where((Customer.shop == shop_id) & Customer.platform_id.in_(wanted)).tuples())
    return {pid: name_of(first, last, email, pid) for pid, first, last, email in rows}
