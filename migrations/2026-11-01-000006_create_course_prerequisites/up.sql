CREATE TABLE course_prerequisites (
    course_id INT NOT NULL,
    required_course_id INT NOT NULL,
    PRIMARY KEY (course_id, required_course_id),
    KEY ix_prerequisites_required (required_course_id),
    CONSTRAINT fk_prerequisites_course FOREIGN KEY (course_id) REFERENCES courses (id) ON DELETE CASCADE,
    CONSTRAINT fk_prerequisites_required FOREIGN KEY (required_course_id) REFERENCES courses (id) ON DELETE CASCADE,
    CONSTRAINT ck_prerequisites_not_self CHECK (course_id <> required_course_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
