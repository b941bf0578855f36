-- Vacancy watch: a student asks to be told when a seat of a full section becomes free. A watch
-- ends when it fires (one notice) or when the student removes it.
CREATE TABLE section_watches (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    student_id INT NOT NULL,
    section_id INT NOT NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_section_watches_student_section (student_id, section_id),
    KEY ix_section_watches_section (section_id),
    CONSTRAINT fk_section_watches_student FOREIGN KEY (student_id) REFERENCES users (id),
    CONSTRAINT fk_section_watches_section FOREIGN KEY (section_id) REFERENCES sections (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
