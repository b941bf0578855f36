CREATE TABLE holds (
    id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    student_id INT NOT NULL,
    reason VARCHAR(255) NOT NULL,
    created_by INT NOT NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    released_at DATETIME(6) NULL,
    released_by INT NULL,
    KEY ix_holds_student_active (student_id, released_at),
    CONSTRAINT fk_holds_student FOREIGN KEY (student_id) REFERENCES users (id),
    CONSTRAINT fk_holds_created_by FOREIGN KEY (created_by) REFERENCES users (id),
    CONSTRAINT fk_holds_released_by FOREIGN KEY (released_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
