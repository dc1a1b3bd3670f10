# The project's commands. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: help run test lint fuzz-api bench lb-check migrate build release

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: ## serve a demo platform on an embedded SQLite database (./data/), with curl commands to try
	@scripts/demo.sh

test: ## run every test (PostgreSQL ones when a server is reachable; says which backends ran)
	@scripts/test.sh

lint: ## formatting, clippy (warnings as errors), and no import circle among a crate's files
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings
	@scripts/import-circles.py

fuzz-api: ## check the OpenAPI document and fuzz a running instance with schemathesis
	@scripts/fuzz-api.sh

bench: ## measure the release build beside the FastAPI peer; writes docs/performance.md
	@scripts/bench.sh

lb-check: ## two instances behind deploy/nginx.conf, one drained under traffic (needs nginx)
	@scripts/lb-check.sh

migrate: ## apply pending migrations to DATABASE_URL
	$(CARGO) run --quiet -p admin-http -- migrate

build: ## debug build of the admin-api binary
	$(CARGO) build -p admin-http

release: ## optimised build: target/release/admin-api
	$(CARGO) build --release -p admin-http
