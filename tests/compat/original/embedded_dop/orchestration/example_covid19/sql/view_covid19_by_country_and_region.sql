SELECT * FROM `dop_sandbox_us.covid19_by_country_and_region`
