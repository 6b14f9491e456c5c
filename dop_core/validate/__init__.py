"""Validating a project's configuration: every problem with its file, line and column."""
