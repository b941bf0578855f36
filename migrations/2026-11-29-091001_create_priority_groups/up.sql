-- Priority groups (장애학생, 졸업예정자, 체육특기자, ...): a registration window may target one
-- group, so its members get a window of their own (e.g. a day before everyone else). Groups are
-- kept across terms; the registrar maintains their members.
CREATE TABLE priority_groups (
    id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    code VARCHAR(16) NOT NULL,
    name_ko VARCHAR(100) NOT NULL,
    name_en VARCHAR(100) NOT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE KEY uq_priority_groups_code (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
