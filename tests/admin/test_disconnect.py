"""The owner's disconnect (``DELETE /api/v1/shop``): for any platform the shop stops like after a
platform's uninstall notice (``shop.uninstalled`` through the inbox, once per install), and the
platform's uninstall work runs after the answer (WooCommerce: the webhooks the plugin made, deleted)."""

from __future__ import annotations

import pytest
import responses

from plugin.core.db import session
from plugin.core.kinds import EventKind
from plugin.core.models import Event, PlatformObject, Shop
from plugin.core.status import EventStatus
from plugin.customers import shops
from plugin.platforms.woocommerce import keys_token
from tests.helpers import api_key, bearer
from webhooks.woocommerce.topics import WEBHOOK_KIND

WOO_DOMAIN, CUSTOM_DOMAIN = "shop.example.com", "custom.example.com"
API = f"https://{WOO_DOMAIN}/wp-json/wc/v3"


@pytest.fixture
def woo(app, job_env):
    vault = app.extensions["loyalty"].vault
    with session():
        shop, _ = shops.register("woocommerce", WOO_DOMAIN, own_webhook_secret=False)
        Shop.update(access_token=keys_token(vault, "ck_1", "cs_1")).where(Shop.id == shop.id).execute()
        for hook_id in ("201", "202"):
            PlatformObject.create(shop=shop.id, kind=WEBHOOK_KIND, platform_id=hook_id, data={})
        return Shop.get_by_id(shop.id)


@pytest.fixture
def custom(app, job_env):
    with session():
        return shops.register("custom", CUSTOM_DOMAIN)[0]


def disconnect(client, app, shop, confirm=None):
    response = client.delete("/api/v1/shop", query_string={"confirm": confirm or shop.domain},
                             headers=bearer(api_key(app, shop)))
    response.close()  # the platform's uninstall work starts once the answer has gone
    return response


def test_a_woocommerce_shop_is_disconnected_and_its_webhooks_deleted(app, client, woo, drain):
    with responses.RequestsMock() as mocked:
        mocked.delete(f"{API}/webhooks/201", json={"id": 201})
        mocked.delete(f"{API}/webhooks/202", status=404, json={"code": "woocommerce_rest_invalid_id"})
        response = disconnect(client, app, woo)
        drain()
        assert sorted(call.request.url for call in mocked.calls) == [
            f"{API}/webhooks/201?force=true", f"{API}/webhooks/202?force=true"]
    assert response.status_code == 202
    assert response.get_json() == {"id": woo.id, "platform": "woocommerce", "domain": WOO_DOMAIN,
                                   "active": False, "status": "disconnected"}
    shops.forget_cached()
    with session():
        shop = Shop.get_by_id(woo.id)
        assert (shop.active, shop.access_token) == (False, None)
        assert not PlatformObject.select().where(PlatformObject.kind == WEBHOOK_KIND).exists()
        [event] = Event.select().where(Event.kind == EventKind.SHOP_UNINSTALLED)
    assert event.status == EventStatus.APPLIED and event.delivery_id.startswith("owner-disconnect:")
    assert client.get("/api/v1/shop", headers=bearer(api_key(app, woo))).status_code == 401


def test_a_custom_shop_is_disconnected_with_no_platform_call(app, client, custom, drain):
    with responses.RequestsMock() as mocked:
        response = disconnect(client, app, custom)
        drain()
        assert not mocked.calls
    assert response.status_code == 202
    with session():
        assert Shop.get_by_id(custom.id).active is False
    shops.forget_cached()
    assert disconnect(client, app, custom).status_code == 401  # its key died with it


def test_a_repeat_before_it_applies_is_the_same_disconnect(app, client, custom, monkeypatch):
    from plugin.pipeline import queue

    monkeypatch.setattr(queue, "ring", lambda *args, **kwargs: None)  # not applied yet
    monkeypatch.setattr(queue, "enqueue_or_run", lambda *args, **kwargs: None)
    assert disconnect(client, app, custom).status_code == 202
    assert disconnect(client, app, custom).status_code == 202
    with session():
        assert Event.select().where(Event.kind == EventKind.SHOP_UNINSTALLED).count() == 1


@pytest.mark.parametrize("confirm", ["other.example.com", " "])
def test_without_the_shops_domain_spelled_out_nothing_happens(app, client, custom, confirm):
    response = client.delete("/api/v1/shop", query_string={"confirm": confirm},
                             headers=bearer(api_key(app, custom)))
    assert response.status_code in (400, 422)
    assert client.delete("/api/v1/shop", headers=bearer(api_key(app, custom))).status_code == 422
    with session():
        assert Shop.get_by_id(custom.id).active and not Event.select().exists()


def test_a_reinstalled_shop_keeps_the_new_installs_webhooks(app, client, woo, monkeypatch, drain):
    from plugin.pipeline import platform_jobs, queue

    later, run = [], queue.enqueue_or_run

    def hold_back_the_uninstall(func, *args, **kwargs):
        if func is platform_jobs.uninstall_shop:
            later.append(args)
        else:
            run(func, *args, **kwargs)

    monkeypatch.setattr(queue, "enqueue_or_run", hold_back_the_uninstall)
    disconnect(client, app, woo)
    drain()
    with session():
        assert not Shop.get_by_id(woo.id).active
        shops.register("woocommerce", WOO_DOMAIN)  # connected again before the job ran
    with responses.RequestsMock() as mocked:
        platform_jobs.uninstall_shop(*later[0])
        assert not mocked.calls
