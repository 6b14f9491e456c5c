IF(TRIM(str) = '', NULL, str)
