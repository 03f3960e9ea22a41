# libofb - offboarding procedures as explicit state machines.
#
#   make                 static and shared library, the ofb command
#   make check           every test (C, command line, examples, Python)
#   make demo            the Pzzle offboarding demo
#   make deps            install missing test dependencies (Debian packages)
#   make examples | python | bench | fuzz | lint
#   make check SANITIZE=1   tests under AddressSanitizer + UBSan
#   make check TSAN=1       tests under ThreadSanitizer
#   make CC=clang check     the same with clang
#   make install / uninstall   honour PREFIX, DESTDIR, LIBDIR, ...

# The version comes from the header, so there is one place to change it.
VERSION_MAJOR := $(shell sed -n 's/^\#define OFB_VERSION_MAJOR \([0-9]*\)/\1/p' libofb/ofb.h)
VERSION_MINOR := $(shell sed -n 's/^\#define OFB_VERSION_MINOR \([0-9]*\)/\1/p' libofb/ofb.h)
VERSION_PATCH := $(shell sed -n 's/^\#define OFB_VERSION_PATCH \([0-9]*\)/\1/p' libofb/ofb.h)
VERSION := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

PREFIX ?= /usr/local
EXEC_PREFIX ?= $(PREFIX)
BINDIR ?= $(EXEC_PREFIX)/bin
LIBDIR ?= $(EXEC_PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

CC ?= cc
PYTHON ?= python3
OPT ?= -O2 -g
WARN := -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wno-unused-parameter
CFLAGS ?= $(OPT)
ALL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) $(CFLAGS)
LDFLAGS ?=
LDLIBS ?=

# Each compiler and each sanitizer build has its own directory, so objects
# never mix: `make CC=clang check` really builds everything with clang.
ifeq ($(origin CC),default)
BUILD := build
else ifeq ($(CC),cc)
BUILD := build
else
BUILD := build/$(notdir $(firstword $(CC)))
endif
ifeq ($(SANITIZE),1)
BUILD := $(BUILD)/asan
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
ifeq ($(TSAN),1)
BUILD := $(BUILD)/tsan
ALL_CFLAGS += -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS += -fsanitize=thread
endif

SONAME := libofb.so.$(VERSION_MAJOR)
LIB_SRC := $(wildcard libofb/*.c)
LIB_OBJ := $(patsubst libofb/%.c,$(BUILD)/obj/%.o,$(LIB_SRC)) \
           $(BUILD)/obj/builtins.o
LIB_A := $(BUILD)/libofb.a
LIB_SO := $(BUILD)/libofb.so.$(VERSION)
OFB := $(BUILD)/ofb

TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
TEST_SUPPORT := $(wildcard tests/support/*.c)

EXAMPLE_SRC := $(wildcard examples/*.c)
EXAMPLE_BIN := $(patsubst examples/%.c,$(BUILD)/examples/%,$(EXAMPLE_SRC))

BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

WORKFLOWS := $(sort $(wildcard workflows/*.ofb))

.PHONY: all lib cli examples demo deps check check-c check-cli check-examples \
        check-python check-install python install-python bench fuzz \
        install uninstall clean

all: lib cli

lib: $(LIB_A) $(BUILD)/libofb.so

cli: $(OFB)

$(BUILD)/obj/%.o: libofb/%.c libofb/ofb.h libofb/internal.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -DOFB_BUILDING -Ilibofb -c -o $@ $<

# The shipped workflows, compiled into the library as C strings.
$(BUILD)/builtins.c: $(WORKFLOWS) workflows/gen-builtins.sh
	@mkdir -p $(@D)
	sh workflows/gen-builtins.sh $(WORKFLOWS) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/builtins.o: $(BUILD)/builtins.c libofb/ofb.h libofb/internal.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -DOFB_BUILDING -Ilibofb -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(LIB_SO): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,$(SONAME) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libofb.so: $(LIB_SO)
	ln -sf libofb.so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf libofb.so.$(VERSION) $@

$(OFB): $(wildcard cli/*.c) $(wildcard cli/*.h) libofb/ofb.h $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ilibofb -o $@ $(wildcard cli/*.c) $(LIB_A) $(LDFLAGS) $(LDLIBS)

# Tests may include internal.h to check internals; they link statically.
$(BUILD)/tests/%: tests/%.c $(TEST_SUPPORT) $(wildcard tests/support/*.h) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ilibofb -Itests/support -o $@ $< $(TEST_SUPPORT) $(LIB_A) $(LDFLAGS) -lcmocka -lpthread $(LDLIBS)

$(BUILD)/examples/%: examples/%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ilibofb -o $@ $< $(LIB_A) $(LDFLAGS) $(LDLIBS)

examples: $(EXAMPLE_BIN)

demo: $(BUILD)/examples/pzzle
	$(BUILD)/examples/pzzle $(BUILD)/pzzle-demo.journal

# Installs missing test dependencies (Debian packages), then nothing else.
deps:
	sh .ci/install-deps.sh

check: check-c check-cli check-examples check-python

check-c: $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do echo "== $$t"; $$t; done

check-cli: $(OFB)
	@if [ -f tests/cli/run.sh ]; then OFB=$(OFB) sh tests/cli/run.sh; fi

check-examples: $(EXAMPLE_BIN) $(OFB)
	@if [ -f tests/examples.sh ]; then BUILD=$(BUILD) sh tests/examples.sh; fi

# The install test and the Python module are skipped under sanitizers: the
# first needs a plain shared library, the second an interpreter built with
# the same runtime.
check-python:
	@if [ -z "$(SANITIZE)$(TSAN)" ] && [ -f bindings/python/Makefile.inc ]; then \
	  $(MAKE) --no-print-directory python && \
	  BUILD=$(abspath $(BUILD)) PYTHONPATH=$(BUILD)/python $(PYTHON) -m unittest discover -s tests/python -v; \
	fi

check-install:
	sh tests/install.sh

-include bindings/python/Makefile.inc
-include bench/Makefile.inc
-include tests/fuzz/Makefile.inc

$(BUILD)/libofb.pc: pkgconfig/libofb.pc.in libofb/ofb.h
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

install: lib cli $(BUILD)/libofb.pc
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
	  $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 644 libofb/ofb.h $(DESTDIR)$(INCLUDEDIR)/ofb.h
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/libofb.a
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/libofb.so.$(VERSION)
	ln -sf libofb.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf libofb.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libofb.so
	install -m 644 $(BUILD)/libofb.pc $(DESTDIR)$(PKGCONFIGDIR)/libofb.pc
	install -m 755 $(OFB) $(DESTDIR)$(BINDIR)/ofb
	if [ -f docs/ofb.1 ]; then install -m 644 docs/ofb.1 $(DESTDIR)$(MANDIR)/man1/ofb.1; fi

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/ofb.h $(DESTDIR)$(LIBDIR)/libofb.a \
	  $(DESTDIR)$(LIBDIR)/libofb.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	  $(DESTDIR)$(LIBDIR)/libofb.so $(DESTDIR)$(PKGCONFIGDIR)/libofb.pc \
	  $(DESTDIR)$(BINDIR)/ofb $(DESTDIR)$(MANDIR)/man1/ofb.1

clean:
	rm -rf build
