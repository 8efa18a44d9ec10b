"""The store owner's side: the admin API now, the dashboard later."""
