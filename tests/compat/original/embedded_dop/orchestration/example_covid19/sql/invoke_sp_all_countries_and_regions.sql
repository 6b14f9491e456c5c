call {{ task['schema'] }}.sp_all_countries_and_regions(DATE('{{ ds }}'));
