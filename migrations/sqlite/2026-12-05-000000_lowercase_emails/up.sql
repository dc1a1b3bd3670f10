-- Emails are stored lowercase, whoever writes them. Kept in step with
-- ../../postgres/2026-12-05-000000_lowercase_emails/up.sql, which says why. SQLite cannot
-- add a CHECK to a table without rebuilding it: triggers hold the same rule, on every insert
-- and every change of an email. (Its lower() changes ASCII letters only, as PostgreSQL's
-- does on the "C" collation.)

UPDATE users SET email = lower(email) WHERE email <> lower(email);

CREATE TRIGGER users_email_lowercase_insert BEFORE INSERT ON users
    WHEN NEW.email <> lower(NEW.email)
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: users_email_lowercase');
END;
CREATE TRIGGER users_email_lowercase_update BEFORE UPDATE OF email ON users
    WHEN NEW.email <> lower(NEW.email)
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: users_email_lowercase');
END;
