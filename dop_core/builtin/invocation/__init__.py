"""The invocation task kind: run the SQL file's statements (typically CALL schema.procedure(...))."""
