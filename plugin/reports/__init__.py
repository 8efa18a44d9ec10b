"""What the program costs and earns: analytics over a date range, daily rollups, SVG charts, and
the live status of a shop.

It reads core/ tables only."""
