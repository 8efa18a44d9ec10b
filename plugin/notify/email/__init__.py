"""Shoppers' e-mail: the mail server (the environment's, or a shop's own), the channel that plans and
sends one e-mail per delivery, and the signed one-click unsubscribe links every e-mail carries."""
