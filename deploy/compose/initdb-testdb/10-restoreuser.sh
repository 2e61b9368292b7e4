# Sourced by the mariadb image's entrypoint on first start. Creates the
# restore user with the grants README.md lists (plus SET USER, which keeps the
# dump's definers, and BINLOG ADMIN for sql_log_bin=0); the password comes
# from the restore_password secret, never from this file.
pw="$(docker_sql_escape_string_literal "$(cat /run/secrets/restore_password)")"
docker_process_sql --database=mysql <<-EOSQL
	CREATE USER IF NOT EXISTS 'restoreuser'@'%' IDENTIFIED BY '${pw}';
	GRANT SELECT, INSERT, CREATE, DROP, ALTER, LOCK TABLES, CREATE VIEW, TRIGGER, EVENT,
	      CREATE ROUTINE, ALTER ROUTINE, SET USER, BINLOG ADMIN ON *.* TO 'restoreuser'@'%';
EOSQL
unset pw
