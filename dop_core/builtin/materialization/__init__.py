"""The materialization task kinds: schema, table, view, udf, stored_procedure, seed."""
