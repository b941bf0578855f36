-- Members of a priority group, one row per (group, student). The student-first key serves the
-- registration path, which reads the groups of the students it decides.
CREATE TABLE priority_group_members (
    group_id INT NOT NULL,
    student_id INT NOT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (group_id, student_id),
    KEY ix_priority_group_members_student (student_id, group_id),
    CONSTRAINT fk_priority_group_members_group FOREIGN KEY (group_id) REFERENCES priority_groups (id) ON DELETE CASCADE,
    CONSTRAINT fk_priority_group_members_student FOREIGN KEY (student_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
