{{ config(materialized='table') }}

-- The latest figure per country.
select
    country_code,
    max(date) as as_of,
    max(people_vaccinated) as people_vaccinated
from {{ ref('stg_vaccinations') }}
group by country_code
