CREATE TABLE registration_windows (
    id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    term_id INT NOT NULL,
    phase VARCHAR(16) NOT NULL,
    cohort VARCHAR(16) NOT NULL DEFAULT 'all',
    opens_at DATETIME(3) NOT NULL,
    closes_at DATETIME(3) NOT NULL,
    KEY ix_windows_term_phase (term_id, phase, opens_at),
    CONSTRAINT fk_windows_term FOREIGN KEY (term_id) REFERENCES terms (id) ON DELETE CASCADE,
    CONSTRAINT ck_windows_phase CHECK (phase IN ('basket', 'register', 'add_drop')),
    CONSTRAINT ck_windows_cohort CHECK (cohort IN ('all', 'year1', 'year2', 'year3', 'year4')),
    CONSTRAINT ck_windows_order CHECK (opens_at < closes_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
