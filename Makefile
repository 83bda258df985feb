# Veerkracht
#   make test    unit and integration tests against a throwaway PostgreSQL, then the fault
#                test (writes while PostgreSQL's backends are killed, it restarts and crashes)
#   make fuzz    schemathesis against the server, as an officer and as an administrator
#   make run     the server, on its embedded PostgreSQL unless a database is configured
#   make bench   the benchmarks against a throwaway PostgreSQL
#
# SWIFT_TEST_FLAGS passes flags to swift test, e.g. make test SWIFT_TEST_FLAGS='--filter Audit'
# (a filtered run skips the fault test).

SWIFT_TEST_FLAGS ?=

.PHONY: setup test fault fuzz run bench

setup:
	scripts/setup.sh

test: setup
	scripts/test-postgres.sh run -- swift test $(SWIFT_TEST_FLAGS)
	$(if $(SWIFT_TEST_FLAGS),,$(MAKE) fault)

# Both drive the debug server that swift test built (.build/debug/veerkracht).
fault: setup
	swift build --product veerkracht
	scripts/fault-test.sh

fuzz: setup
	swift build --product veerkracht
	scripts/fuzz.sh

run: setup
	swift run veerkracht serve

# Release build in .build-release, then pool, http and cases on one throwaway PostgreSQL;
# BENCH_FLAGS goes to each, e.g. make bench BENCH_FLAGS='--seconds 5'.
bench:
	scripts/setup.sh --bench
	scripts/bench.sh $(BENCH_FLAGS)
