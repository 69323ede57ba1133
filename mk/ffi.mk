# The C library's products, its examples and the Python bindings (included by ../Makefile).
#   make install [PREFIX=/usr/local] [DESTDIR=]   lib (.so with soname, .a), header, .pc
#   make examples      build the C examples against a staged install and run every example
#   make python-test   pip-install the bindings into target/ and run tests/python with pytest

PREFIX ?= /usr/local
DESTDIR ?=
CARGO ?= cargo
CC ?= cc
PYTHON ?= python3
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

FFI_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
FFI_SOMAJOR := 0
FFI_RELEASE := target/release
# Link flags a static link needs (rustc --print native-static-libs for this target).
FFI_PRIVATE_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
FFI_STAGE := $(CURDIR)/target/stage
FFI_EXAMPLES := $(CURDIR)/target/examples-c
FFI_PYSITE := $(CURDIR)/target/python-site
FFI_CFLAGS := -std=c11 -Wall -Wextra -Werror -O2 -g
FFI_C_EXAMPLES := up status add_from_string
FFI_PYTEST := $(PYTHON) -m pytest -q -p no:cacheprovider

.PHONY: ffi-lib install examples examples-build python-install python-test

ffi-lib:
	$(CARGO) build --release --lib --bin ipsec-auto

install: ffi-lib
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0755 $(FFI_RELEASE)/libipsecauto.so $(DESTDIR)$(LIBDIR)/libipsecauto.so.$(FFI_VERSION)
	ln -sf libipsecauto.so.$(FFI_VERSION) $(DESTDIR)$(LIBDIR)/libipsecauto.so.$(FFI_SOMAJOR)
	ln -sf libipsecauto.so.$(FFI_SOMAJOR) $(DESTDIR)$(LIBDIR)/libipsecauto.so
	install -m 0644 $(FFI_RELEASE)/libipsecauto.a $(DESTDIR)$(LIBDIR)/libipsecauto.a
	install -m 0644 include/ipsecauto.h $(DESTDIR)$(INCLUDEDIR)/ipsecauto.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(FFI_VERSION)|' -e 's|@PRIVATE_LIBS@|$(FFI_PRIVATE_LIBS)|' \
	    ipsecauto.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/ipsecauto.pc

# The examples compile against what `make install` puts in place (header and pkg-config
# file), staged under target/stage, exactly as a user's program would.
examples-build:
	$(MAKE) --no-print-directory install PREFIX=$(FFI_STAGE) DESTDIR=
	mkdir -p $(FFI_EXAMPLES)
	set -e; export PKG_CONFIG_PATH=$(FFI_STAGE)/lib/pkgconfig; \
	for e in $(FFI_C_EXAMPLES); do \
	    $(CC) $(FFI_CFLAGS) $$(pkg-config --cflags ipsecauto) examples/c/$$e.c \
	        -o $(FFI_EXAMPLES)/$$e $$(pkg-config --libs ipsecauto); \
	done; \
	$(CC) $(FFI_CFLAGS) $$(pkg-config --cflags ipsecauto glib-2.0) examples/c/nm_plugin.c \
	    -o $(FFI_EXAMPLES)/nm_plugin $$(pkg-config --libs ipsecauto glib-2.0); \
	$(CC) $(FFI_CFLAGS) $$(pkg-config --cflags ipsecauto) examples/c/up.c \
	    -o $(FFI_EXAMPLES)/up_static $$(pkg-config --variable=libdir ipsecauto)/libipsecauto.a \
	    $$(pkg-config --static --libs-only-l ipsecauto | sed 's/-lipsecauto//')

python-install:
	rm -rf $(FFI_PYSITE)
	$(PYTHON) -m pip install --quiet --no-deps --target $(FFI_PYSITE) ./bindings/python

# Runs every C and Python example against a capturing stand-in socket and a private pluto,
# and the C examples under valgrind.
examples: examples-build python-install
	IPSECAUTO_STAGE=$(FFI_STAGE) IPSECAUTO_EXAMPLES=$(FFI_EXAMPLES) PYTHONPATH=$(FFI_PYSITE) \
	    IPSECAUTO_LIBRARY=$(FFI_STAGE)/lib/libipsecauto.so.$(FFI_SOMAJOR) \
	    $(FFI_PYTEST) tests/python/test_examples.py

python-test: ffi-lib python-install
	PYTHONPATH=$(FFI_PYSITE) IPSECAUTO_LIBRARY=$(CURDIR)/$(FFI_RELEASE)/libipsecauto.so \
	    $(FFI_PYTEST) tests/python --ignore=tests/python/test_examples.py
