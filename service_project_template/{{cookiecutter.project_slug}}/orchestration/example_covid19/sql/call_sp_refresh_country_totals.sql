CALL example_covid19.sp_refresh_country_totals(DATE '{{ ds }}');
