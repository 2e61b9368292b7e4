# Sourced by the mariadb image's entrypoint on first start (not executable on
# purpose: sourced scripts get docker_process_sql and
# docker_sql_escape_string_literal). Creates gravedancer's backup user with
# the grants README.md lists; the password comes from the source_password
# secret, never from this file.
pw="$(docker_sql_escape_string_literal "$(cat /run/secrets/source_password)")"
docker_process_sql --database=mysql <<-EOSQL
	CREATE USER IF NOT EXISTS 'backupuser'@'%' IDENTIFIED BY '${pw}';
	GRANT SELECT, LOCK TABLES, RELOAD, SHOW VIEW, REPLICATION CLIENT, EVENT, TRIGGER ON *.* TO 'backupuser'@'%';
EOSQL
unset pw
