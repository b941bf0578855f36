-- How basket allocation treats a section whose basket demand exceeds its free seats:
-- 'fits_only' leaves it to first come, first served; 'lottery' draws its winners among the
-- eligible holders in a seeded, recorded random order.
ALTER TABLE terms
  ADD COLUMN allocation_policy VARCHAR(16) NOT NULL DEFAULT 'fits_only',
  ADD CONSTRAINT ck_terms_allocation_policy CHECK (allocation_policy IN ('fits_only', 'lottery'));
