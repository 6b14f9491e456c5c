"""What a plugin programs against: hooks, records, contexts, engines, egress, run-time helpers."""
