SELECT CURRENT_DATE() AS built_on, 1 AS version
