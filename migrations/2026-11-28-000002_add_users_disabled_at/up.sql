-- A disabled account cannot sign in; its sessions were ended when it was disabled.
ALTER TABLE users ADD COLUMN disabled_at DATETIME NULL;
