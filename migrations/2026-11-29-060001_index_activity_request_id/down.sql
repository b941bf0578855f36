DROP INDEX ix_activity_request ON activity_log;
