DROP TABLE cleanup_runs;
DROP INDEX tokens_user_keyset;
