# Shortcuts for the scripts that do the work (each says what it does at its top).
.PHONY: run test bench bench-quick bench-profile bench-memory

run:          ## the backend: PostgreSQL installed if missing, a private cluster, migrations, serve
	scripts/run

test:         ## every test, against a throwaway PostgreSQL cluster
	scripts/test

bench:        ## the full benchmark run (~10 min): writes docs/benchmarks.md and docs/bench/*.png
	scripts/bench

bench-quick:  ## the suite at small sizes (under 3 min once built), report in a temporary folder
	scripts/bench --quick

bench-profile: ## where the time goes at 32 clients (CPU, perf sched, perf cpu-clock), next to pgbench
	swift build -c release --product tideline && swift build -c release --product tideline-bench
	scripts/bench-profile .build/release

bench-memory: ## what an idle WebSocket holds in the server, by allocating frame (heaptrack)
	swift build -c release --product tideline && swift build -c release --product tideline-bench
	scripts/bench-memory .build/release
