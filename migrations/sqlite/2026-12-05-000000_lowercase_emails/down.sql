DROP TRIGGER IF EXISTS users_email_lowercase_insert;
DROP TRIGGER IF EXISTS users_email_lowercase_update;
