-- A window may target a priority group (members only) and/or the parity of the student number's
-- last digit (홀수/짝수 학번 days), besides its cohort. NULL: no such condition.
ALTER TABLE registration_windows
  ADD COLUMN group_id INT NULL,
  ADD COLUMN parity VARCHAR(8) NULL,
  ADD CONSTRAINT fk_windows_group FOREIGN KEY (group_id) REFERENCES priority_groups (id),
  ADD CONSTRAINT ck_windows_parity CHECK (parity IS NULL OR parity IN ('odd', 'even'));
