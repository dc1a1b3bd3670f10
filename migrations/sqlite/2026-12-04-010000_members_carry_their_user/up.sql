-- An organization's page of members from its membership rows alone: each membership carries
-- its member's email and display name, written and moved by the database. Kept in step with
-- ../../postgres/2026-12-04-010000_members_carry_their_user/up.sql, which says why.
-- SQLite's triggers cannot change the row being inserted: the copy is written just after it,
-- in the same statement, over the column's placeholder default.

ALTER TABLE memberships ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN display_name TEXT;
UPDATE memberships SET (email, display_name) =
    (SELECT email, display_name FROM users WHERE users.id = memberships.user_id);

CREATE TRIGGER memberships_copy_user AFTER INSERT ON memberships BEGIN
    UPDATE memberships SET (email, display_name) =
        (SELECT email, display_name FROM users WHERE users.id = NEW.user_id)
        WHERE user_id = NEW.user_id AND organization_id = NEW.organization_id;
END;
CREATE TRIGGER memberships_copy_moved_user AFTER UPDATE OF user_id ON memberships BEGIN
    UPDATE memberships SET (email, display_name) =
        (SELECT email, display_name FROM users WHERE users.id = NEW.user_id)
        WHERE user_id = NEW.user_id AND organization_id = NEW.organization_id;
END;
CREATE TRIGGER users_moved_to_memberships AFTER UPDATE OF email, display_name ON users BEGIN
    UPDATE memberships SET email = NEW.email, display_name = NEW.display_name
        WHERE user_id = NEW.id;
END;
