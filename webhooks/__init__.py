"""Everything inbound from a store. One package per platform (shopify/, judgeme/, reviews/), each a
Flask receiver (receiver.py) and the mappers the worker runs on stored deliveries; the shared
pieces at the top: readers and signatures (read and verify raw bytes), topics (the registry of
what each platform sends), mapped, inbox and stored (keep and re-read deliveries), receiving (the
receivers' common store-and-ring step) and receivers (``init_app``: the app's only way in here).
Only receiving, receivers and the receiver modules import Flask (tests/unit/test_import_graph.py).
"""
