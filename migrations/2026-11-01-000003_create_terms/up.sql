CREATE TABLE terms (
    id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    year SMALLINT NOT NULL,
    season VARCHAR(16) NOT NULL,
    name_ko VARCHAR(100) NOT NULL,
    name_en VARCHAR(100) NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    is_current BOOLEAN NOT NULL DEFAULT FALSE,
    max_credits TINYINT NOT NULL DEFAULT 18,
    registration_frozen BOOLEAN NOT NULL DEFAULT FALSE,
    freeze_message VARCHAR(500) NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_terms_year_season (year, season),
    KEY ix_terms_current (is_current),
    CONSTRAINT ck_terms_season CHECK (season IN ('spring', 'summer', 'fall', 'winter')),
    CONSTRAINT ck_terms_dates CHECK (starts_on < ends_on),
    CONSTRAINT ck_terms_max_credits CHECK (max_credits BETWEEN 1 AND 30)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
