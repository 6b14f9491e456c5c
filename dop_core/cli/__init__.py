"""The ``dop`` command line."""
