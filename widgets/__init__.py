"""What the shopper's browser touches: the widget API, script and styles (issue #4)."""
