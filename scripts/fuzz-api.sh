#!/usr/bin/env bash
# `make fuzz-api`: validate the served OpenAPI document with openapi-spec-validator, then run
# schemathesis (every check) against a running instance, with a platform administrator's token.
#
# The instance runs on a fresh PostgreSQL database when TEST_DATABASE_URL's server answers (as
# in CI), else on a fresh SQLite file. The Python tools live in target/tools-venv.
# FUZZ_SECONDS bounds the fuzzing phase (default 90).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/tools-venv
if [[ ! -x $venv/bin/st ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis>=4.3,<5" "openapi-spec-validator>=0.7,<1"
fi

cargo build --quiet -p admin-http
bin=${CARGO_TARGET_DIR:-target}/debug/admin-api
work=$(mktemp -d)
admin_url=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
database=""
cleanup() {
  [[ -n ${server:-} ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  [[ -n $database ]] && psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$work"
  return 0
}
trap cleanup EXIT

if command -v pg_isready >/dev/null && pg_isready -q -t 2 -d "$admin_url"; then
  database=admin_fuzz_$RANDOM$RANDOM
  psql -q "$admin_url" -c "CREATE DATABASE $database"
  export DATABASE_URL=${admin_url%/*}/$database
else
  export DATABASE_URL=sqlite://$work/fuzz.db
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
export ADMIN_API_ROOT_KEY=$($bin keygen) ADMIN_API_BIND=127.0.0.1:$port RUST_LOG=${RUST_LOG:-warn} ADMIN_API_LOG_FORMAT=json
export ADMIN_API_MANAGEMENT_BIND=127.0.0.1:$(free_port)
echo "fuzzing on ${DATABASE_URL%%:*}, port $port"

$bin migrate
platform=$($bin org create --name Platform --platform)
admin=$($bin user create --email admin@example.com --name "Ada Admin")
$bin member add --org "$platform" --user "$admin" --role admin
customer=$($bin org create --name "Customer Corp")
owner=$($bin user create --email owner@example.com)
$bin member add --org "$customer" --user "$owner" --role owner
$bin member add --org "$customer" --user "$admin" --role viewer
workspace=$($bin workspace create --org "$customer" --name Production)
$bin seed --users 60 --orgs 5 --workspaces 12 --expired-tokens 20
# The fuzzer calls as a platform administrator of its own, whom no dictionary names: revoking
# the tokens of a user it does name never revokes its own.
fuzzer=$($bin user create --email fuzzer@example.com)
$bin member add --org "$platform" --user "$fuzzer" --role admin
token=$($bin token issue --user "$fuzzer" --org "$platform" --ttl 1h)
$bin token issue --user "$owner" --ttl 1h >/dev/null
$bin token issue --user "$owner" --org "$customer" --ttl 1h >/dev/null

$bin serve 2>"$work/serve.log" & server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

# Ids that exist, for most path ids (and some organization_id filters), so that the fuzzer
# reaches past the 404s into the pages and their filters; the rest are generated. The owner's
# token ids as the API lists them.
token_ids=$(curl -sf -H "Authorization: Bearer $token" \
  "http://127.0.0.1:$port/v1/admin/platform/users/$owner/tokens" |
  python3 -c 'import json, sys; print(", ".join(json.dumps(t["id"]) for t in json.load(sys.stdin)["items"]))')
cat >"$work/schemathesis.toml" <<TOML
[dictionaries.users]
values = ["$admin", "$owner"]
[dictionaries.organizations]
values = ["$platform", "$customer"]
[dictionaries.workspaces]
values = ["$workspace"]
[dictionaries.tokens]
values = [$token_ids]

[parameters]
"path.user_id" = { dictionary = "users", probability = 0.8 }
"path.organization_id" = { dictionary = "organizations", probability = 0.8 }
"path.workspace_id" = { dictionary = "workspaces", probability = 0.8 }
"path.token_id" = { dictionary = "tokens", probability = 0.8 }
"query.organization_id" = { dictionary = "organizations", probability = 0.5 }

# A cursor continues only its own listing (of the same user or organization) in its own order:
# one of the listing's kind from the other order or another parent matches the documented
# pattern, and is the contract's 422. No OpenAPI schema can say that (it relates two
# parameters), so for the listings a 422 is an accepted answer to schema-valid data; the edge
# tests pin down exactly when it is given.
[[operations]]
include-path-regex = '^/v1/admin/platform/(users|organizations|workspaces)$|/(members|memberships|tokens)$|^/v1/admin/platform/audit-events$'
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "422"]
TOML

curl -sf "http://127.0.0.1:$port/openapi.json" -o "$work/openapi.json"
"$venv/bin/openapi-spec-validator" "$work/openapi.json"

"$venv/bin/st" --config-file "$work/schemathesis.toml" run "http://127.0.0.1:$port/openapi.json" \
  --checks all \
  --header "Authorization: Bearer $token" \
  --max-time "${FUZZ_SECONDS:-90}" \
  --request-timeout 10 \
  --seed 1 \
  --no-color

# The service's own errors (not the HTTP layer's notes about malformed requests it refused).
if grep '"level":"ERROR"' "$work/serve.log" | grep -q '"target":"admin_'; then
  echo "the service logged errors while fuzzed:" >&2
  grep '"level":"ERROR"' "$work/serve.log" | grep '"target":"admin_' | head -20 >&2
  exit 1
fi
