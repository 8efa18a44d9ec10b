"""The loyalty engine and the Flask app around it."""
