"""The ground every package stands on, with no Flask: the database handle and tables (db, models),
status vocabularies, the clock, secrets (crypto), exception classes (errors), CSV files, JSON
parsing with bounds, input limits, stored idempotency keys, and the message bus with the facts
the domain publishes on it (bus, facts).

It imports nothing else of the project."""
