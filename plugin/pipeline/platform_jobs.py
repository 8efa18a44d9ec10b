"""Jobs that talk to a shop's platform: the install work after an install request, the uninstall
work after an owner's disconnect, and the reconciliation pass that recovers webhooks a platform
never delivered (InSales does not guarantee delivery). All go through the shop's platform
(plugin.platforms.registry)."""

from __future__ import annotations

import logging
from datetime import timedelta

from plugin.core import clock
from plugin.core.db import session
from plugin.core.models import Event, Shop
from plugin.core.status import EventStatus
from plugin.pipeline import jobs, queue
from plugin.pipeline.fetching import UNREAD, store_deliveries
from plugin.platforms import PlatformError, registry
from plugin.platforms.contract import Access

log = logging.getLogger(__name__)

RECONCILE_PREFIX = "reconcile:"  # a reconciled delivery's id: "reconcile:" + its business key
#: How long an unread event keeps being retried: Ecwid retries a webhook for up to 48 hours, so a
#: notice is worth reading for as long; past that it waits for a person (the owner's retry).
RETRY_UNREAD_FOR = timedelta(hours=48)


def install_shop(shop_id: int, candidate: str | None = None) -> None:
    """The platform's install work (webhooks, discount, currency); a PlatformError fails the job,
    so RQ retries it with backoff (queue.RETRY).

    ``candidate`` (encrypted) is a new credential an install request brought for a shop that is
    installed already: unsigned install requests must not break a working shop, so it replaces the
    stored one only once the platform has accepted it; one it refuses is dropped."""
    with session():
        shop = Shop.get_or_none((Shop.id == shop_id) & Shop.active)
        if shop is None:  # uninstalled before the job ran
            return
        if candidate is not None:
            shop.access_token = candidate  # in memory until the platform has accepted it
        try:
            registry.of(shop).install(shop, Access.from_environment())
        except PlatformError as exc:
            if candidate is None or exc.retry_after is not None:  # RQ retries it later
                raise
            log.warning("a new credential for %s was refused, the stored one is kept: %s",
                        shop.domain, exc.message)
            return
        Shop.update(install_pending=False, **({"access_token": candidate} if candidate else {})).where(
            Shop.id == shop.id).execute()
        log.info("installed %s shop %s", shop.platform, shop.domain)


def install_soon(shop_id: int, candidate: str | None = None) -> None:
    """Have the install work done: a retried job with Redis; here and now without, where a failure
    is logged (the shop stays ``install_pending`` and every reconciliation pass tries it again)."""
    try:
        queue.enqueue_or_run(install_shop, shop_id, candidate)
    except PlatformError as exc:
        log.warning("install work for shop %s failed: %s", shop_id, exc.message)


def uninstall_soon(shop_id: int, installed_at: str, credential: str | None) -> None:
    """Have the uninstall work done (best effort: a failure without Redis is logged)."""
    try:
        queue.enqueue_or_run(uninstall_shop, shop_id, installed_at, credential)
    except PlatformError as exc:
        log.warning("uninstall work for shop %s failed: %s", shop_id, exc.message)


def uninstall_shop(shop_id: int, installed_at: str, credential: str | None) -> None:
    """The platform's uninstall work after an owner's disconnect (its webhooks deleted), best
    effort. ``credential`` (encrypted) is the one the shop had when it was disconnected: applying
    the uninstall forgets it, and this job may run after that. A shop reinstalled since (another
    ``installed_at``) is left alone: what the platform holds now is the new install's."""
    with session():
        shop = Shop.get_or_none(Shop.id == shop_id)
        if shop is None or (shop.active and shop.installed_at.isoformat() != installed_at):
            return
        shop.access_token = credential or shop.access_token
        if not shop.access_token:
            return
        registry.of(shop).uninstall(shop, Access.from_environment())
        log.info("uninstalled %s shop %s from its platform", shop.platform, shop.domain)


def reconcile_all() -> int:
    """Every active shop whose platform reconciles gets a pass (its own job with Redis); first,
    every install whose platform work never succeeded (RQ's retries spent, or the embedded
    default's one try failed) is tried again."""
    names = [name for name, platform in registry.PLATFORMS.items() if platform.reconciles]
    with session():
        pending = [shop.id for shop in Shop.select(Shop.id).where(
            Shop.active & Shop.install_pending).order_by(Shop.id)]
        shop_ids = [shop.id for shop in Shop.select(Shop.id).where(
            Shop.active & Shop.platform.in_(names)).order_by(Shop.id)]
    for shop_id in pending:
        install_soon(shop_id)
    for shop_id in shop_ids:
        queue.enqueue_or_run(reconcile_shop, shop_id, job_timeout=600)
    return len(shop_ids)


def reconcile_shop(shop_id: int) -> int:
    """Store the orders changed since the shop's watermark through the inbox (a version already
    delivered by webhook is a duplicate of its business key), ring, and advance the watermark.
    A platform error leaves the watermark: the next pass (minutes later) tries again."""
    access = Access.from_environment()
    with session():
        shop = Shop.get_or_none((Shop.id == shop_id) & Shop.active)
        if shop is None:
            return 0
        platform = registry.of(shop)
        try:
            changes = platform.orders_since(shop, shop.reconciled_to, access)
        except PlatformError as exc:
            log.warning("reconciliation of %s waits for the next pass: %s", shop.domain, exc.message)
            return 0
        added = store_deliveries(shop, platform.name, changes.deliveries, RECONCILE_PREFIX)
        if changes.watermark != shop.reconciled_to:
            Shop.update(reconciled_to=changes.watermark).where(Shop.id == shop.id).execute()
    if added:
        queue.ring(shop_id, jobs.apply_pending)
    log.info("reconciled %s: %s orders read, %s new", shop_id, len(changes.deliveries), added)
    return added


def retry_unread() -> int:
    """Put events that failed unread (plugin.pipeline.fetching) back to pending and ring their
    shops, whose batches read them again: once a minute, for as long as the platform retries."""
    with session():
        unread = (Event.status == EventStatus.FAILED) & Event.error.startswith(UNREAD) & (
            Event.received_at > clock.now() - RETRY_UNREAD_FOR)
        shop_ids = [row.shop_id for row in Event.select(Event.shop).distinct().where(unread)]
        if shop_ids:
            Event.update(status=EventStatus.PENDING).where(unread).execute()
    for shop_id in shop_ids:
        queue.ring(shop_id, jobs.apply_pending)
    return len(shop_ids)
