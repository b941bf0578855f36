CREATE TABLE meetings (
    id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    section_id INT NOT NULL,
    weekday TINYINT NOT NULL COMMENT 'Mon=1 .. Sat=6',
    starts_at_min SMALLINT NOT NULL COMMENT 'minutes from midnight, Asia/Seoul',
    ends_at_min SMALLINT NOT NULL,
    room VARCHAR(50) NOT NULL,
    KEY ix_meetings_section (section_id),
    KEY ix_meetings_weekday_start (weekday, starts_at_min),
    CONSTRAINT fk_meetings_section FOREIGN KEY (section_id) REFERENCES sections (id) ON DELETE CASCADE,
    CONSTRAINT ck_meetings_weekday CHECK (weekday BETWEEN 1 AND 6),
    CONSTRAINT ck_meetings_times CHECK (starts_at_min >= 0 AND ends_at_min <= 1440 AND starts_at_min < ends_at_min)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
