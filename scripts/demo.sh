#!/usr/bin/env bash
# `make run`: the service on the embedded SQLite database under ./data/, nothing else needed.
# The first run creates the database and the root key there and seeds a small demo platform;
# later runs reuse both. Every run issues a fresh admin token and prints curl commands.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 077 # ./data/ holds every email and token record: this user's alone

cargo build --quiet -p admin-http
bin=${CARGO_TARGET_DIR:-target}/debug/admin-api

# Demo mode is the embedded default: ignore any database or key configured in this shell.
unset DATABASE_URL ADMIN_API_ROOT_KEY ADMIN_API_ROOT_KEY_FILE
export ADMIN_API_BIND=${ADMIN_API_BIND:-127.0.0.1:8080} RUST_LOG=${RUST_LOG:-warn}
export ADMIN_API_MANAGEMENT_BIND=${ADMIN_API_MANAGEMENT_BIND:-127.0.0.1:9000}
base="http://$ADMIN_API_BIND/v1/admin"

if [[ ! -f data/admin-api.db || ! -f data/demo.env ]]; then
  rm -f data/admin-api.db data/admin-api.db-wal data/admin-api.db-shm
  echo "Seeding a demo platform into ./data/ ..."
  platform=$($bin org create --name "Platform" --platform)
  admin=$($bin user create --email admin@example.com --name "Ada Admin")
  $bin member add --org "$platform" --user "$admin" --role admin
  for name in Acme Globex; do
    org=$($bin org create --name "$name")
    slug=$(tr '[:upper:]' '[:lower:]' <<<"$name")
    owner=$($bin user create --email "owner@$slug.example.com" --name "$name Owner")
    member=$($bin user create --email "member@$slug.example.com")
    viewer=$($bin user create --email "viewer@$slug.example.com")
    $bin member add --org "$org" --user "$owner" --role owner
    $bin member add --org "$org" --user "$member" --role member
    $bin member add --org "$org" --user "$viewer" --role viewer
    $bin workspace create --org "$org" --name "$name Production" >/dev/null
    $bin workspace create --org "$org" --name "$name Staging" >/dev/null
    [[ $name == Acme ]] && { acme=$org; acme_owner=$owner; }
  done
  printf 'PLATFORM=%s\nADMIN=%s\nACME=%s\nACME_OWNER=%s\n' "$platform" "$admin" "$acme" "$acme_owner" >data/demo.env
fi
# shellcheck source=/dev/null
source data/demo.env
admin_token=$($bin token issue --user "$ADMIN" --org "$PLATFORM" --ttl 12h)
owner_token=$($bin token issue --user "$ACME_OWNER" --org "$ACME" --ttl 12h)

cat <<TEXT

The admin API is starting on http://$ADMIN_API_BIND (data in ./data/; Ctrl-C stops it),
its metrics on http://$ADMIN_API_MANAGEMENT_BIND/metrics.
Try it from another terminal:

  ADMIN_TOKEN='$admin_token'
  OWNER_TOKEN='$owner_token'

  curl -s -H "Authorization: Bearer \$ADMIN_TOKEN" $base/platform-status
  curl -s -H "Authorization: Bearer \$ADMIN_TOKEN" "$base/access?organization_id=$ACME"
  curl -s -H "Authorization: Bearer \$ADMIN_TOKEN" "$base/platform/users?limit=3"
  curl -s -H "Authorization: Bearer \$ADMIN_TOKEN" $base/platform/organizations
  curl -s -H "Authorization: Bearer \$ADMIN_TOKEN" $base/platform/workspaces
  curl -s -X POST -H "Authorization: Bearer \$ADMIN_TOKEN" "$base/cleanup-tokens?dry_run=true"

  # an organization owner: access to Acme, but not the platform listings (403)
  curl -s -H "Authorization: Bearer \$OWNER_TOKEN" "$base/access?organization_id=$ACME"
  curl -s -H "Authorization: Bearer \$OWNER_TOKEN" $base/platform/users

TEXT
exec "$bin" serve
