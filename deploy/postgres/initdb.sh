#!/bin/sh
# The postgres image runs this once, when it creates the database (/docker-entrypoint-initdb.d):
# Gridcare's owner and app roles (roles.sql), with the passwords compose passes in.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v owner_role=gridcare_owner -v app_role=gridcare_app \
    -v owner_password="$GRIDCARE_DB_OWNER_PASSWORD" -v app_password="$GRIDCARE_DB_APP_PASSWORD" \
    -f /gridcare-sql/roles.sql
