IF(TRIM(str) = '', 'unknown', LOWER(TRIM(str)))
