"""Everything inbound from a store. One package per platform (shopify/, custom/, insales/, judgeme/,
reviews/), each its topics (topics.py: the platform's side of the contract, contract.Inbound), a
Flask receiver (receiver.py) and the mappers the worker runs on stored deliveries; the shared
pieces at the top: contract (Topic, Inbound, Address), readers and signatures (read and verify raw
bytes), topics (the registry of every platform's Inbound), mapped, inbox and stored (keep and
re-read deliveries), receiving (the receivers' common store-and-ring step) and receivers
(``init_app``: the app's only way in here).
Only receiving, receivers and the receiver modules import Flask (tests/unit/test_import_graph.py).
"""
