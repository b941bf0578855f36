DROP TABLE one_time_passwords;
