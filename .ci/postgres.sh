#!/usr/bin/env bash
# Start a PostgreSQL server from Debian's package on 127.0.0.1 for the tests of the subscribers store,
# and print the URL the tests read from CREBIS_TEST_POSTGRESQL. Idempotent: safe to run twice.
set -euo pipefail
# Only the URL goes to standard output, which the caller captures: what the tools say goes to stderr.
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
  pg_createcluster "$version" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
  pg_ctlcluster "$version" main start >&2
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')
su postgres -c "psql -q -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname='crebis_test'\"" | grep -q 1 ||
  su postgres -c "psql -q -p $port -c \"CREATE ROLE crebis_test LOGIN PASSWORD 'crebis_test'\""
su postgres -c "psql -q -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname='crebis_test'\"" | grep -q 1 ||
  su postgres -c "psql -q -p $port -c 'CREATE DATABASE crebis_test OWNER crebis_test'"
echo "postgresql://crebis_test:crebis_test@127.0.0.1:$port/crebis_test"
