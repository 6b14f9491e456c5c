CALL retail.sp_flag_big_days(DATE '{{ ds }}');
