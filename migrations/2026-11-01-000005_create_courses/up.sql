CREATE TABLE courses (
    id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    code VARCHAR(16) NOT NULL,
    title_ko VARCHAR(200) NOT NULL,
    title_en VARCHAR(200) NOT NULL,
    credits TINYINT NOT NULL,
    department_id INT NOT NULL,
    category VARCHAR(24) NOT NULL,
    description TEXT NOT NULL,
    UNIQUE KEY uq_courses_code (code),
    KEY ix_courses_department (department_id),
    KEY ix_courses_category (category),
    KEY ix_courses_credits (credits),
    CONSTRAINT fk_courses_department FOREIGN KEY (department_id) REFERENCES departments (id),
    CONSTRAINT ck_courses_credits CHECK (credits BETWEEN 0 AND 6),
    CONSTRAINT ck_courses_category CHECK (category IN ('major_required', 'major_elective', 'general_required', 'general_elective', 'teaching', 'free_elective'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
