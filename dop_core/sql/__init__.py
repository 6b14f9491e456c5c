"""DOP's SQL layer over sqlglot: BigQuery SQL and its scripting, run on engines that speak another dialect.

``dop_core.sql.scripting`` interprets BigQuery's procedural language (DECLARE, SET, IF, loops, BEGIN ...
EXCEPTION, CALL, EXECUTE IMMEDIATE...) statement by statement on engines that have none of it.
"""
