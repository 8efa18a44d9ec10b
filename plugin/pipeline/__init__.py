"""Events from the inbox to the ledger: the appliers (apply), RQ jobs, the doorbell queue, retries,
rq cron's periodic jobs, the worker and the embedded scheduler.

It imports every domain package; none imports it but through the queue."""
