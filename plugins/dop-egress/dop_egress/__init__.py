"""dop-egress: the ``file``, ``gcs`` and ``sftp`` destinations of DOP's ``egress`` task action."""

__version__ = "0.1.0"
