ALTER TABLE registration_windows
  DROP FOREIGN KEY fk_windows_group,
  DROP CONSTRAINT ck_windows_parity,
  DROP COLUMN parity,
  DROP COLUMN group_id;
