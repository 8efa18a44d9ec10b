"""The ground every package stands on, with no Flask: the database handle and tables (db, models),
the status and kind vocabularies (status, kinds), the clock, secrets (crypto), exception classes
(errors), CSV files, JSON parsing with bounds, input limits and stored idempotency keys.

It imports nothing else of the project."""
