CREATE TABLE enrollments (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    student_id INT NOT NULL,
    section_id INT NOT NULL,
    term_id INT NOT NULL,
    course_id INT NOT NULL,
    source VARCHAR(24) NOT NULL DEFAULT 'student',
    request_id VARCHAR(64) NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_enrollments_student_section (student_id, section_id),
    UNIQUE KEY uq_enrollments_student_term_course (student_id, term_id, course_id),
    KEY ix_enrollments_section (section_id),
    KEY ix_enrollments_term (term_id),
    CONSTRAINT fk_enrollments_student FOREIGN KEY (student_id) REFERENCES users (id),
    CONSTRAINT fk_enrollments_section FOREIGN KEY (section_id) REFERENCES sections (id),
    CONSTRAINT fk_enrollments_term FOREIGN KEY (term_id) REFERENCES terms (id),
    CONSTRAINT fk_enrollments_course FOREIGN KEY (course_id) REFERENCES courses (id),
    CONSTRAINT ck_enrollments_source CHECK (source IN ('student', 'basket_allocation', 'waitlist', 'registrar'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
