#!/bin/sh
# Temporal's databases on PostgreSQL, created and migrated to the server's schema version; the same
# steps for the compose stack (the admin-tools image) and `npm run test:cluster` (the v1.29.1 SQL tool).
# Idempotent: run it at every start, it upgrades the schema with the tool's version. The schemas are
# the ones embedded in the tool (--schema-name). Extra databases to create (the dialer's own) follow
# as arguments.
#
#   SQL_TOOL=temporal-sql-tool POSTGRES_SEEDS=host DB_PORT=5432 POSTGRES_USER=u SQL_PASSWORD=p schema.sh [db...]
set -eu
sql="${SQL_TOOL:-temporal-sql-tool} --plugin postgres12 --ep ${POSTGRES_SEEDS} -p ${DB_PORT:-5432} -u ${POSTGRES_USER}"
for db in "${DBNAME:-temporal}" "${VISIBILITY_DBNAME:-temporal_visibility}" "$@"; do
  $sql --db "$db" create 2>/dev/null || echo "database $db exists"
done
$sql --db "${DBNAME:-temporal}" setup-schema -v 0.0
$sql --db "${DBNAME:-temporal}" update-schema --schema-name postgresql/v12/temporal
$sql --db "${VISIBILITY_DBNAME:-temporal_visibility}" setup-schema -v 0.0
$sql --db "${VISIBILITY_DBNAME:-temporal_visibility}" update-schema --schema-name postgresql/v12/visibility
