"""Periodic jobs, run by rq's own cron scheduler (enqueuing with our JSON serializer)."""

from __future__ import annotations

from rq import Queue
from rq.cron import CronJob, CronScheduler
from rq.job import Job
from rq.serializers import JSONSerializer

from plugin import tiers
from plugin.core.idempotency import purge_expired
from plugin.earn import birthdays, referrals
from plugin.ledger import expiry
from plugin.notify import campaigns as notify_campaigns
from plugin.notify import jobs as notify_jobs
from plugin.notify import retention as notify_retention
from plugin.pipeline import jobs, platform_jobs
from plugin.pipeline.queue import PERIODIC_QUEUE
from plugin.platforms.shopify import tokens
from plugin.reports.rollups import roll_up_recent
from plugin.spend import copurchase, redemption
from plugin.tiers import sync as tier_sync

#: (job, seconds between runs)
PERIODIC = (
    (jobs.sweep, 5),  # re-rings a shop whose job died with its worker: seconds, not minutes
    (redemption.release_expired, 15),  # a timed-out hold's points are back within seconds
    (redemption.retry_releasing, 60),  # holds whose code could not be withdrawn yet
    (tokens.refresh_expiring_tokens, 3600),
    (expiry.expire_due, 3600),
    (expiry.warn_expiring, 86400),
    # Hourly although yearly: the grant's key makes reruns no-ops, and a birthday whose 30-day
    # waiting period ends during the day (or that a failed run missed) is still granted that day.
    (birthdays.grant_birthdays, 3600),
    (copurchase.update_copurchases, 900),
    (referrals.reward_due, 3600),  # the pending window is days long: hourly is on time
    (tiers.reevaluate_all, 86400),  # grace periods end and rolling windows age by the day
    (tier_sync.sync_all, 60),  # Shopify's tier tags and discounts follow tier moves within a minute
    (roll_up_recent, 3600),  # analytics compute today live: hourly keeps the stored days fresh
    (purge_expired, 3600),  # stored answers to Idempotency-Keys live 24 h
    # InSales does not guarantee webhook delivery: a missed order is recovered within minutes.
    (platform_jobs.reconcile_all, 300),
    (platform_jobs.retry_unread, 60),  # what a platform could not be asked for is asked again
    (notify_jobs.drain, 5),  # e-mail, SMS and webhooks leave within seconds of their fact
    (notify_retention.purge_old, 86400),  # messages and their deliveries are kept 90 days
    (notify_campaigns.announce_started, 300),  # a campaign is announced within minutes of its start
)


class JSONCronJob(CronJob):
    """rq's CronJob enqueues with pickle; our workers only accept JSON jobs (pickle is unsafe)."""

    def enqueue(self, connection) -> Job:
        queue = Queue(self.queue_name, connection=connection, serializer=JSONSerializer)
        return queue.enqueue(self.func, args=self.args, kwargs=self.kwargs, **self.job_options)


class Scheduler(CronScheduler):
    """rq's CronScheduler with the loyalty jobs registered as JSON cron jobs."""

    def register(self, func, queue_name, **options) -> CronJob:
        job = JSONCronJob(queue_name=queue_name, func=func, **options)
        self._cron_jobs.append(job)
        return job


def scheduler(connection) -> Scheduler:
    cron = Scheduler(connection=connection)
    for func, interval in PERIODIC:
        cron.register(func, PERIODIC_QUEUE, interval=interval, job_timeout=600)
    return cron
