-- empty strings become NULL
-- café style
IF(TRIM(str) = '', NULL, str)
