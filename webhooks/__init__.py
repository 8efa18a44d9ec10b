"""Everything inbound from a store: receivers, signatures and payload mapping."""
