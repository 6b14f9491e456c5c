"""The built-in trigger kinds: external_task, sql, file, gcs_object, bigquery_table."""
