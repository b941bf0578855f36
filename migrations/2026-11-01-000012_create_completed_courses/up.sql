CREATE TABLE completed_courses (
    id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    student_id INT NOT NULL,
    course_id INT NOT NULL,
    term_label VARCHAR(32) NOT NULL,
    grade VARCHAR(4) NOT NULL,
    UNIQUE KEY uq_completed_student_course_term (student_id, course_id, term_label),
    KEY ix_completed_course (course_id),
    CONSTRAINT fk_completed_student FOREIGN KEY (student_id) REFERENCES users (id),
    CONSTRAINT fk_completed_course FOREIGN KEY (course_id) REFERENCES courses (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
