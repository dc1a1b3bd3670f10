DROP TRIGGER users_moved_to_memberships;
DROP TRIGGER memberships_copy_moved_user;
DROP TRIGGER memberships_copy_user;
ALTER TABLE memberships DROP COLUMN display_name;
ALTER TABLE memberships DROP COLUMN email;
