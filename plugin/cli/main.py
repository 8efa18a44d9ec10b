"""The `loyalty` command: serve, worker, cron, run-due, demo, shops, audit, notify-status, import,
export, simulate."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from plugin.cli import context, demo_custom, demo_economics
from plugin.cli import demo as demo_module
from plugin.cli.codes import codes
from plugin.cli.imports import export_command, import_command
from plugin.cli.shops import shops
from plugin.cli.simulate import simulate_command
from plugin.core.db import session
from plugin.http.serving import RequestHandler
from plugin.ledger import audit as audit_module
from plugin.notify import jobs as notify_jobs
from plugin.notify import status as notify_queues
from plugin.pipeline import scheduler
from plugin.pipeline import worker as worker_module


def use_served_url(app, url: str) -> None:
    """Without LOYALTY_PUBLIC_URL, the links the app builds (the widget's rules link, the install
    callback) point where this process really serves, not at a fixed port."""
    if os.environ.get("LOYALTY_PUBLIC_URL", "").strip():
        return
    loyalty = app.extensions["loyalty"]
    app.extensions["loyalty"] = dataclasses.replace(
        loyalty, settings=dataclasses.replace(loyalty.settings, public_url=url.rstrip("/")))


@click.group()
def main() -> None:
    """Loyalty plugin: points ledger, webhooks and workers."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Run the web app (threaded; use gunicorn in production, see README)."""
    from werkzeug.serving import run_simple

    app = context.app()
    use_served_url(app, f"http://{host}:{port}")
    with _embedded_scheduler(app):
        run_simple(host, port, app, threaded=True, request_handler=RequestHandler)


@contextmanager
def _embedded_scheduler(app) -> Iterator[None]:
    """Without Redis there is no rq cron: the periodic jobs run in a thread of this process while
    it serves, and stop with the server (never outliving it, in a test or an embedding host)."""
    thread = None if app.extensions["loyalty"].settings.uses_redis else scheduler.start()
    try:
        yield
    finally:
        if thread is not None:
            thread.stop()


@main.command("run-due")
def run_due() -> None:
    """Run the periodic jobs that are due, once (for system cron, e.g. every minute)."""
    context.app()
    for name in scheduler.run_due():
        click.echo(name)


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--cron/--no-cron", default=True, show_default=True,
              help="Run the periodic jobs' scheduler beside the worker (one per deployment is enough).")
def worker(burst: bool, cron: bool) -> None:
    """Run an RQ worker on the loyalty queues (needs LOYALTY_REDIS_URL)."""
    settings = context.settings()
    if not settings.uses_redis:
        raise click.ClickException("LOYALTY_REDIS_URL: the worker needs Redis; without it, "
                                   "jobs already run inside the web process")
    worker_module.run(settings, burst=burst, with_cron=cron)


@main.command("cron")
def cron_command() -> None:
    """Run only the periodic jobs' scheduler (rq cron), for a worker started with --no-cron."""
    settings = context.settings()
    if not settings.uses_redis:
        raise click.ClickException("LOYALTY_REDIS_URL: the cron scheduler needs Redis")
    worker_module.run_cron(settings)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="Keep serving after the demo webhooks (Ctrl-C to stop).")
@click.option("--platform", type=click.Choice(["shopify", "custom"]), default="shopify", show_default=True,
              help="custom: a custom store's events, signed with Standard Webhooks, to a shop of its own.")
def demo(host: str, port: int, serve: bool, platform: str) -> None:
    """Run the plugin with a demo shop and post signed demo webhooks to it."""
    app = context.app()
    app.config["LOYALTY_DEMO_STORE"] = True  # serve /demo/* (widgets/demo_store.py) in this process only
    runtime = app.extensions["loyalty"]
    try:
        server = demo_module.start_server(app, host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port} ({exc}); try --port") from None
    base_url = f"http://{host}:{server.server_port}"
    use_served_url(app, base_url)
    mail_sink = demo_module.start_mail_sink(app)
    runtime = app.extensions["loyalty"]
    sender = demo_custom if platform == "custom" else demo_module
    data = sender.deliveries()
    results = sender.post_deliveries(base_url, runtime, data)
    rows, shop = demo_module.summary(data["shop"], platform)
    with session():
        demo_economics.seed(shop.id)
    click.echo(demo_module.report(base_url, runtime, results, rows, shop, storefront=platform == "shopify"))
    if not runtime.settings.uses_redis:  # the messages of these facts go out now
        notify_jobs.drain()
        click.echo("\n" + demo_module.mail_report(mail_sink, base_url))
    if runtime.settings.uses_redis:
        click.echo("\n(LOYALTY_REDIS_URL is set: the events wait on Redis until `loyalty worker` "
                   "applies them; rerun this command to see the balances)")
    if not serve:
        server.shutdown()
        if mail_sink:
            mail_sink.stop()
        return
    click.echo(f"\nServing on {base_url} (Ctrl-C to stop)")
    with _embedded_scheduler(app):
        try:
            server.serve_forever()  # the background thread is already serving; this just waits
        except KeyboardInterrupt:
            server.shutdown()


@main.command()
@click.option("--shop", "shop_id", type=int, default=None, help="Only this shop id.")
def audit(shop_id: int | None) -> None:
    """Check every ledger invariant; exits 1 and names the customers when one fails."""
    context.app()
    with session():
        problems = audit_module.check(shop_id)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        sys.exit(1)
    click.echo("audit: every balance equals its ledger and its open lots")


@main.command("notify-status")
def notify_status() -> None:
    """The outbound queues across every shop, as JSON: what waits per channel, what is late,
    what failed in the last 24 hours, and the webhook subscriptions paused for failing."""
    context.app()
    with session():
        click.echo(json.dumps(notify_queues.queues(), indent=2))


main.add_command(codes)
main.add_command(shops)
main.add_command(import_command)
main.add_command(export_command)
main.add_command(simulate_command)

