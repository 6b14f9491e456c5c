"""Options models of the egress destinations (besides the common egress options), imported only to
validate a config with an egress task, never by a plain parse."""

from __future__ import annotations

from typing import Any

import attrs

from dop_core import whole_number


@attrs.frozen
class FileOptions:
    """Options of the ``file`` destination (besides the common egress options)."""

    storage_options: dict[str, Any] = attrs.field(factory=dict, metadata={
        "doc": "fsspec storage options for a URL path (endpoint, credentials...); unused for local paths"})


@attrs.frozen
class GcsOptions:
    """Options of the ``gcs`` destination."""

    gcp_conn_id: str = attrs.field(default="google_cloud_default", metadata={
        "doc": "Airflow connection of the Google Cloud credentials (unused with STORAGE_EMULATOR_HOST)"})
    impersonation_chain: str | list[str] | None = attrs.field(default=None, metadata={
        "doc": "service account(s) to impersonate, as with the google provider's operators"})
    project: str | None = attrs.field(default=None, metadata={
        "doc": "Google Cloud project of the storage client (default: the connection's)"})


@attrs.frozen
class SftpOptions:
    """Options of the ``sftp`` destination."""

    conn_id: str = attrs.field(default="sftp_default", metadata={
        "doc": "Airflow SFTP/SSH connection: host, port, login, and a password or a private key"})
    connect_attempts: int = attrs.field(default=3, metadata={
        **whole_number(1, fix="write 1 to try once, or a few, e.g. 3", high=100),
        "doc": "connection attempts before the task fails (Airflow's task retries come on top)"})
    create_directories: bool = attrs.field(default=True, metadata={
        "doc": "create the remote folder of the path if it is missing"})
