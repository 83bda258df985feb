# Veerkracht
#   make test    unit and integration tests against a throwaway PostgreSQL
#   make run     the server, on its embedded PostgreSQL unless a database is configured
#   make bench   the benchmarks against a throwaway PostgreSQL
#
# SWIFT_TEST_FLAGS passes flags to swift test, e.g. make test SWIFT_TEST_FLAGS='--filter Audit'.

SWIFT_TEST_FLAGS ?=

.PHONY: setup test run bench

setup:
	scripts/setup.sh

test: setup
	scripts/test-postgres.sh run -- swift test $(SWIFT_TEST_FLAGS)

run: setup
	swift run veerkracht serve

# Release build in .build-release, then pool, http and cases on one throwaway PostgreSQL;
# BENCH_FLAGS goes to each, e.g. make bench BENCH_FLAGS='--seconds 5'.
bench:
	scripts/setup.sh --bench
	scripts/bench.sh $(BENCH_FLAGS)
