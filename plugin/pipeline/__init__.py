"""Events from the inbox to the ledger: the appliers (apply), who reacts to the facts they publish
(bootstrap), RQ jobs, one way to run a job and the doorbell (queue), retries, rq cron's periodic
jobs, the worker and the embedded scheduler.

It imports every domain package; a domain package imports only its queue, which imports nothing
of the project (the job function is passed in)."""
