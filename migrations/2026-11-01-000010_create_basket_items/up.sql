CREATE TABLE basket_items (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    student_id INT NOT NULL,
    section_id INT NOT NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_basket_student_section (student_id, section_id),
    KEY ix_basket_section (section_id),
    CONSTRAINT fk_basket_student FOREIGN KEY (student_id) REFERENCES users (id),
    CONSTRAINT fk_basket_section FOREIGN KEY (section_id) REFERENCES sections (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
