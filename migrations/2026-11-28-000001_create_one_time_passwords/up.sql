-- A one-time password issued by a registrar. Its argon2id hash is also the account's
-- password_hash while it is pending: signing in with it is an ordinary sign-in, and this row says
-- that the session must change the password first. Single use (used_at), valid 72 h (expires_at).
CREATE TABLE one_time_passwords (
    user_id INT NOT NULL PRIMARY KEY,
    password_hash VARCHAR(255) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    used_at DATETIME(6) NULL,
    issued_by INT NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT fk_one_time_passwords_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
