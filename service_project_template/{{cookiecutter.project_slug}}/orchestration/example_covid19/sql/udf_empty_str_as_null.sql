-- The body of the function: one expression over its arguments.
IF(TRIM(str) = '' OR LOWER(TRIM(str)) = 'n/a', NULL, TRIM(str))
