"""dop-hello: a minimal third-party DOP plugin registering the ``hello`` task kind."""

__version__ = "0.1.0"
