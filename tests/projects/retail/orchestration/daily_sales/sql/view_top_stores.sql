SELECT store, revenue FROM retail.store_totals WHERE revenue >= 50
