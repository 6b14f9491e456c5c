-- The example's assertion: every row returned is a failed check.
SELECT *
FROM (
  SELECT COUNT(*) > 0 AS success, 'daily_cases is not empty' AS description
  FROM {{ ref('daily_cases') }}
  UNION ALL
  SELECT COUNT_IF(date > DATE '{{ var("ds") }}') = 0, 'no day after the logical date {{ var("ds") }}'
  FROM {{ ref('daily_cases') }}
  UNION ALL
  SELECT COUNT_IF(new_confirmed < 0 OR new_deceased < 0 OR new_tested < 0) = 0, 'no negative figures'
  FROM {{ ref('daily_cases') }}
  UNION ALL
  SELECT COUNT_IF(new_deceased > new_confirmed) = 0, 'never more deaths than new cases on a day'
  FROM {{ ref('daily_cases') }}
)
WHERE NOT success
