-- Append-only; no foreign keys so the record outlives what it describes.
CREATE TABLE activity_log (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    actor_id INT NULL,
    student_id INT NULL,
    action VARCHAR(24) NOT NULL,
    section_id INT NULL,
    outcome VARCHAR(32) NOT NULL,
    detail VARCHAR(500) NULL,
    request_id VARCHAR(64) NOT NULL,
    session_ref VARCHAR(16) NULL COMMENT 'digest prefix of the session id, never the id itself',
    client_ip VARCHAR(45) NULL,
    KEY ix_activity_student_at (student_id, at),
    KEY ix_activity_section_at (section_id, at),
    KEY ix_activity_actor_at (actor_id, at),
    KEY ix_activity_action_at (action, at),
    KEY ix_activity_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
