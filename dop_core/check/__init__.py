"""What `dop validate` checks beyond the configs: the DAGs built and their SQL."""
