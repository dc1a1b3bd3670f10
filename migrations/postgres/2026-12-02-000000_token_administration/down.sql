DROP INDEX tokens_user_keyset;
