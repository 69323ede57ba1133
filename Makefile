# libipsecauto: build, test, demonstrate, benchmark, install.
# `make demo` and `make test` are the two commands a fresh Debian 12 machine (as root) needs.

PREFIX ?= /usr/local
DESTDIR ?=
CARGO ?= cargo
SHARED ?= $(abspath ../shared)
export IPSECAUTO_CORPUS ?= $(SHARED)/conformance/libreswan-4.10

.PHONY: all build setup test test-rust test-conformance lint demo bench clean

all: build

# Everything the project needs on the machine: libreswan 4.10, network tools, NSS tools,
# GLib for the main-loop example, Python test tools.
setup:
	./scripts/setup.sh

build:
	$(CARGO) build --release --all-targets

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

test-rust: build
	$(CARGO) test --release --no-fail-fast -- --test-threads=2

# The differential harness against libreswan's own ipsec auto (must be 100% identical).
test-conformance: build
	./scripts/conformance-check.sh target/release/ipsec-auto

test: setup lint test-rust test-conformance examples python-test

-include mk/*.mk

clean:
	$(CARGO) clean

demo:
	./scripts/demo.sh
