"""The loyalty engine and the Flask app around it, one package per concept.

core/ is the ground (tables, vocabularies, clock, i18n; no Flask). program/ holds the store's
rules, ledger/ is the only code that moves points, and customers/, tiers/, earn/, spend/, dataio/,
privacy/ and reports/ build on it. pipeline/ turns inbox events into domain calls and lets the
packages react to them through its message bus. platforms/ calls the stores. http/, admin/,
dashboard/ and cli/ are the edges; app.py only wires them.
"""
