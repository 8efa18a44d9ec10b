"""The HTTP layer shared by every blueprint: error handlers (errors), body reading, URL converters,
the Idempotency-Key header, the app runtime, the manifest, the public pages, Shopify's OAuth views
(oauth), the route recorder the admin, widget and dashboard packages register with (routes), and
the servers.

It may import Flask and the domain; the domain never imports it (tests/unit/test_import_graph.py)."""
