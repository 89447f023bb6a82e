# buzon: one GNU Makefile.  `make` builds ./buzon (optimized, no sanitizers);
# `make test` builds an ASan+UBSan tree in build/asan and runs every test.
.SUFFIXES:
SHELL := /bin/bash

CC       ?= cc
PREFIX   ?= /usr/local
PKGS     := openssl sqlite3 zlib jansson
DEB_DEPS := build-essential pkg-config libssl-dev libsqlite3-dev libcrypt-dev \
            libunbound-dev libjansson-dev zlib1g-dev clang python3-pytest python3-dkim swaks openssl \
            fetchmail isync offlineimap3 mutt tmux chromium nodejs

WARN     := -Wall -Wextra -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
            -Wshadow -Wvla -Werror
CSTD     := -std=gnu17 -D_GNU_SOURCE
INCS      = -Isrc -iquote src/lib -Itests/lib $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS      = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lunbound -lcrypt -lpthread
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

RELEASE_CFLAGS := -O2 -g $(CSTD) $(WARN) -DBUZON_VERSION='"0.1 ($(VERSION))"'
SAN            ?= address,undefined
ifeq ($(SANITIZER),none)
ASAN_CFLAGS    := -O1 -g $(CSTD) $(WARN) -DBUZON_VERSION='"test"'
else ifeq ($(SANITIZER),thread)
ASAN_CFLAGS    := -O1 -g $(CSTD) $(WARN) -fsanitize=thread -DBUZON_VERSION='"test"'
else
ASAN_CFLAGS    := -O1 -g $(CSTD) $(WARN) -fsanitize=$(SAN) \
                  -fno-sanitize-recover=all -fno-omit-frame-pointer \
                  -DBUZON_VERSION='"test"'
endif

SRC      := $(sort $(wildcard src/*/*.c))
LIB_SRC  := $(filter-out src/cli/main.c,$(SRC))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

# The webmail app (src/web/app/*) is compiled in: web_assets_gen.sh turns
# the files into build/gen/web_assets.c (src/web/web_assets.h).
WEB_APP  := $(sort $(wildcard src/web/app/*))
WEB_GEN  := build/gen/web_assets.c
REL_OBJ  := $(LIB_SRC:%.c=build/release/%.o) build/release/gen/web_assets.o
ASAN_OBJ := $(LIB_SRC:%.c=build/asan/%.o) build/asan/gen/web_assets.o
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/asan/unit/%)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/asan/fuzz/%)

.PHONY: all test unit fuzz-replay proto e2e fuzz deps run install clean format FORCE \
        check-format tidy valgrind-test bench
all: buzon

buzon: build/release/libbuzon.a build/release/src/cli/main.o
	$(CC) $(RELEASE_CFLAGS) -o $@ build/release/src/cli/main.o build/release/libbuzon.a $(LIBS)

# main.o embeds $(VERSION): rebuild it whenever `git describe` changes.
build/release/version.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
build/release/src/cli/main.o: build/release/version.stamp
FORCE:

# the list of app files, rewritten only when it changes (a removed file
# regenerates the table too)
build/gen/web_assets.list: FORCE
	@mkdir -p $(dir $@)
	@echo '$(WEB_APP)' | cmp -s - $@ || echo '$(WEB_APP)' > $@
$(WEB_GEN): src/web/web_assets_gen.sh build/gen/web_assets.list $(WEB_APP)
	sh src/web/web_assets_gen.sh $@ $(WEB_APP)
build/release/gen/web_assets.o: $(WEB_GEN)
	@mkdir -p $(dir $@)
	$(CC) $(RELEASE_CFLAGS) $(INCS) -c -o $@ $<
build/asan/gen/web_assets.o: $(WEB_GEN)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) $(INCS) -c -o $@ $<

build/release/libbuzon.a: $(REL_OBJ)
	@rm -f $@; ar rcs $@ $^

build/release/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(RELEASE_CFLAGS) $(INCS) -MMD -MP -c -o $@ $<

build/asan/libbuzon.a: $(ASAN_OBJ)
	@rm -f $@; ar rcs $@ $^

build/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) $(INCS) -MMD -MP -c -o $@ $<

build/asan/buzon: build/asan/libbuzon.a build/asan/src/cli/main.o
	$(CC) $(ASAN_CFLAGS) -o $@ build/asan/src/cli/main.o build/asan/libbuzon.a $(LIBS)

UNIT_LIB := build/asan/tests/lib/test.o build/asan/tests/lib/tstore.o
build/asan/unit/%: tests/unit/%.c $(UNIT_LIB) build/asan/libbuzon.a
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) $(INCS) -MMD -MP -o $@ $< $(UNIT_LIB) build/asan/libbuzon.a $(LIBS)

build/asan/fuzz/%: tests/fuzz/%.c build/asan/tests/fuzz/replay_main.o build/asan/libbuzon.a
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) $(INCS) -MMD -MP -o $@ $< build/asan/tests/fuzz/replay_main.o build/asan/libbuzon.a $(LIBS)

# `make test`: unit -> fuzz corpus replay -> protocol tests, stop at first failure.
test: deps-check build/asan/buzon $(UNIT_BIN) $(FUZZ_BIN)
	@bash tests/run.sh

unit: $(UNIT_BIN)
	@bash tests/run.sh unit

fuzz-replay: $(FUZZ_BIN)
	@bash tests/run.sh fuzz

proto: build/asan/buzon
	@bash tests/run.sh proto

# The webmail in a real browser alone (also part of `make proto`, through
# tests/proto/test_webmail_http.py); screenshots in build/e2e/.
e2e: build/asan/buzon
	BUZON_BIN=$(CURDIR)/build/asan/buzon /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e

# libFuzzer builds (clang): make fuzz, then build/fuzz/fuzz_X tests/fuzz/corpus/X
# (clang warns about the #include_next in src/lib/limits.h, which is the
# point of that file: it stands in for <limits.h> on the quote path)
FUZZ_CFLAGS := -O1 -g $(CSTD) $(WARN) -Wno-include-next-absolute-path \
               -fsanitize=fuzzer,address,undefined
fuzz: $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
build/fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(WEB_GEN)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(INCS) -o $@ $< $(LIB_SRC) $(WEB_GEN) $(LIBS)

valgrind-test:
	$(MAKE) SANITIZER=none build/asan/buzon $(UNIT_BIN)
	for t in $(UNIT_BIN); do valgrind -q --error-exitcode=1 --leak-check=full $$t || exit 1; done

# Install what is missing from Debian (needs root, or sudo).
deps:
	@missing=""; for p in $(DEB_DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@# Postfix: the peer of the relay interop tests (tests/proto/
	@# test_queue_postfix.py) and of bench/.  Its installer asks what kind
	@# of mail system to set up: "Local only" (loopback, no relaying).
	@if ! dpkg-query -W -f='$${Status}' postfix 2>/dev/null | grep -q "ok installed"; then \
	  echo "make deps: installing postfix (local only)"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  echo "postfix postfix/main_mailer_type select Local only" | $$SUDO debconf-set-selections; \
	  echo "postfix postfix/mailname string localhost" | $$SUDO debconf-set-selections; \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postfix || \
	    echo "make deps: postfix failed to install: its interop tests will be skipped"; \
	fi
	@# the browser test's driver (tests/e2e): playwright-core, which uses
	@# Debian's chromium (it downloads no browser of its own), and the
	@# JMAP client library jmap-jam; again whenever the lock file changed
	@if [ ! -f tests/e2e/node_modules/.package-lock.json ] || \
	   [ tests/e2e/package-lock.json -nt tests/e2e/node_modules/.package-lock.json ]; then \
	  if command -v npm >/dev/null; then \
	    (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error) || \
	      echo "make deps: npm ci failed: the browser and JMAP client tests will be skipped"; \
	  else echo "make deps: no npm: the browser and JMAP client tests will be skipped"; fi; \
	fi

deps-check:
	@pkg-config --exists $(PKGS) && [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import pytest' 2>/dev/null || $(MAKE) --no-print-directory deps

# Demo server in ./var: domain localhost, account demo@localhost.
run: deps-check
	@$(MAKE) --no-print-directory buzon
	@bash tools/run-demo.sh

install: buzon
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)/lib/systemd/system
	install -m 0755 buzon $(DESTDIR)$(PREFIX)/sbin/buzon
	install -m 0644 doc/buzon.8 $(DESTDIR)$(PREFIX)/share/man/man8/buzon.8
	sed 's|@PREFIX@|$(PREFIX)|g' doc/buzon.service > $(DESTDIR)/lib/systemd/system/buzon.service

# Benchmarks, not part of `make test` (as root on Debian; installs Postfix, Dovecot if missing):
# SMTP throughput vs Postfix, POP3 vs Dovecot, memory per idle connection, store deliveries/s.
bench: buzon build/release/store_bench build/release/pop3_load
	bash bench/smtp.sh
	bash bench/relay.sh
	bash bench/pop3.sh
	bash bench/imap.sh
	bash bench/idle.sh
	bash bench/web.sh
	@d=$$(mktemp -d); build/release/store_bench "$$d" 5000 20 4096; rc=$$?; rm -rf "$$d"; exit $$rc

build/release/store_bench: bench/store_bench.c build/release/libbuzon.a
	$(CC) $(RELEASE_CFLAGS) $(INCS) -o $@ $< build/release/libbuzon.a $(LIBS)

build/release/pop3_load: bench/pop3_load.c
	@mkdir -p $(dir $@)
	$(CC) $(RELEASE_CFLAGS) -o $@ $< -lpthread

format:
	clang-format -i $(SRC) $(wildcard src/*/*.h) $(UNIT_SRC) $(FUZZ_SRC)

check-format:
	clang-format --dry-run --Werror $(SRC) $(wildcard src/*/*.h)

tidy:
	clang-tidy $(SRC) -- $(CSTD) $(INCS)

clean:
	rm -rf build buzon

-include $(shell find build -name '*.d' 2>/dev/null)
