"""Warehouse engines native SQL runs on. Imported only inside tasks (never while parsing DAGs)."""
