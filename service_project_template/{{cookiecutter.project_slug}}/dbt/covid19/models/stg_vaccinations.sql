-- One row per country and day, up to the run's date (DOP passes ds as a dbt var).
select
    cast(date as date) as date,
    upper(country_code) as country_code,
    people_vaccinated
from {{ ref('vaccinations') }}
where cast(date as date) <= cast('{{ var("ds") }}' as date)
