-- The audit view finds every line of one request by its id (whole, or its first characters).
CREATE INDEX ix_activity_request ON activity_log (request_id);
