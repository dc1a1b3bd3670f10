DROP TRIGGER IF EXISTS users_moved_to_memberships ON users;
DROP FUNCTION IF EXISTS move_member_users();
DROP TRIGGER IF EXISTS memberships_copy_user ON memberships;
DROP FUNCTION IF EXISTS copy_member_user();
ALTER TABLE memberships DROP COLUMN IF EXISTS display_name, DROP COLUMN IF EXISTS email;
