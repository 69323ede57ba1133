# Benchmarks: libipsecauto against libreswan's own tools, one run, one private pluto.
# Both need root (they start their own pluto); nothing touches the system's pluto.
#   make bench        full run (under 10 minutes), writes BENCHMARKS.md
#                     (BENCH_ONLY=latency,bulk,parse,status picks sections)
#   make bench-smoke  every measurement at toy sizes (seconds), part of `make test`

CARGO ?= cargo

.PHONY: bench bench-smoke

bench:
	$(CARGO) build --release --bin ipsecauto-bench
	target/release/ipsecauto-bench --out BENCHMARKS.md

# `make build` (release, all targets) has built the program already.
bench-smoke: build
	target/release/ipsecauto-bench --smoke

# So the benchmark cannot rot: `make test` runs it at toy sizes.
test: bench-smoke
