"""The egress task kind: a table or a query's result exported to a destination plugins register."""
