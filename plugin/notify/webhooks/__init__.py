"""Outbound webhooks: the shop's subscriptions (``subscriptions``), the guard that keeps them off
the operator's own network (``guard``) and the channel that signs and sends each message
(``channel``) with Standard Webhooks."""
