"""The HTTP layer shared by every blueprint: error handlers, body reading, URL converters, the
Idempotency-Key header, the app runtime, the manifest, the public pages and the servers.

It may import Flask and the domain; the domain never imports it."""
