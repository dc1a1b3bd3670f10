ALTER TABLE users DROP CONSTRAINT IF EXISTS users_email_lowercase;
