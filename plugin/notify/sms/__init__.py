"""SMS to shoppers: one provider interface with SMS.ru and a generic HTTP gateway (``providers``),
how long a text is in segments (``segments``), and the channel that plans and sends them, holding
messages back through the shopper's quiet hours and over their daily cap (``channel``).

It imports core/ and the rest of plugin.notify; no Flask."""
