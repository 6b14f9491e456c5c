select 1 as d
