"""Telling shoppers and the store's other systems what happened: the outbox (written in the fact's
own transaction by the bus handlers in ``handlers``), its fan-out into one delivery per destination
(``dispatch``), and the channels that send them with retries: e-mail, SMS and signed webhooks.
No Flask: the dashboard, the admin API and the unsubscribe page call in from above."""
