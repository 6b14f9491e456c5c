call {{ task.__class__.__init__.__globals__ }}.sp_all_countries_and_regions(DATE('{{ ds }}'));
