"""The `loyalty` command: serve, worker, cron, run-due, demo, shops, codes, import and export."""
