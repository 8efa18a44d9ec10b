"""Reading from a shop's platform what its pending events need, before a batch's transaction.

Some deliveries cannot be applied as they came: Ecwid signs only an event's id and time, so its
order is read from the API by id (a notice); WooCommerce lists a refund without its lines. The
shop's platform (``Platform.prepare``) reads them outside any transaction; this module stores
what it read. An event still unread when its batch reaches it fails as ``Unread`` (the platform
was down, or backing off), and ``retry_unread`` puts it back a little later, so an outage delays
points and loses none.
"""

from __future__ import annotations


class Unread(Exception):
    """An event whose content is still to be read from its platform (retried by retry_unread)."""
