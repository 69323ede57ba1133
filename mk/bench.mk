# Benchmarks: libipsecauto against libreswan's own tools, one run, one private pluto.
# Both need root (they start their own pluto); nothing touches the system's pluto.
#   make bench        full run (under 10 minutes), writes BENCHMARKS.md
#   make bench-smoke  every measurement at toy sizes (~10 s), for `make test`

CARGO ?= cargo

.PHONY: bench bench-smoke

bench:
	$(CARGO) build --release --bin ipsecauto-bench
	target/release/ipsecauto-bench --out BENCHMARKS.md

# A debug build: `make test` has one already, and the numbers do not matter here.
bench-smoke:
	$(CARGO) build --bin ipsecauto-bench
	target/debug/ipsecauto-bench --smoke
