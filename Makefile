# folio: plain Makefile. `make` builds build/libfolio.a and build/folio.
# `make deps` checks every library with pkg-config and installs what is missing.

BUILD    ?= build
CC       ?= cc
SANITIZE ?=
PREFIX   ?= /usr/local

# pkg-config module -> Debian package that provides it
PKG_MODULES = libgit2 libcmark libzip sqlite3 jansson libcrypto
TEST_MODULES = cmocka
DEB_libgit2 = libgit2-dev
DEB_libcmark = libcmark-dev
DEB_libzip = libzip-dev
DEB_sqlite3 = libsqlite3-dev
DEB_jansson = libjansson-dev
DEB_libcrypto = libssl-dev
DEB_cmocka = libcmocka-dev
# commands the tests and demo run: command -> Debian package
TOOL_CMDS = git pkg-config dimacs-solver
# the sqlite3 shell: tests/cli/t_perms.sh compares the database before and after a refusal.
# DEB_sqlite3 already names the library's package, so the command is checked as sqlite3-shell.
TOOL_CMDS += sqlite3-shell
CMD_sqlite3-shell = sqlite3
DEB_sqlite3-shell = sqlite3
DEB_git = git
DEB_pkg-config = pkg-config
# LEMON's min-cost-flow solver: the oracle the solver tests and bench compare with
DEB_dimacs-solver = liblemon-utils

WARN = -Wall -Wextra -Wstrict-prototypes -Wvla -Wwrite-strings -Wshadow \
       -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral -Werror
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -pthread -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE $(WARN) $(CFLAGS) \
             -Iinclude -Iengine -MMD -MP \
             -DFOLIO_STANDARDS_DIR='"$(CURDIR)/standards"'
ifneq ($(SANITIZE),)
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_LDFLAGS = -fsanitize=$(SANITIZE)
endif
LDFLAGS += -pthread

PKG_CFLAGS = $(shell pkg-config --cflags $(PKG_MODULES) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKG_MODULES) 2>/dev/null)
TEST_CFLAGS = $(shell pkg-config --cflags $(TEST_MODULES) 2>/dev/null)
TEST_LIBS   = $(shell pkg-config --libs $(TEST_MODULES) 2>/dev/null)

ENGINE_SRC = $(wildcard engine/*.c)
CLI_SRC    = $(wildcard engine/cli/*.c)
MCF_SRC    = engine/tools/folio_mcf.c
TEST_SRC   = $(wildcard tests/unit/test_*.c)
TEST_SUPPORT = $(BUILD)/tests/unit/support.o
ENGINE_OBJ = $(ENGINE_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ    = $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ   = $(TEST_SRC:%.c=$(BUILD)/%.o)

LIB  = $(BUILD)/libfolio.a
CLI  = $(BUILD)/folio
MCF  = $(BUILD)/folio-mcf
BENCH_MCF = $(BUILD)/folio-bench-mcf
UNIT = $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
BENCH = $(BUILD)/folio-bench

.PHONY: all deps check test demo bench bench-limits clean valgrind
# keep objects: they are intermediate files of the test binaries, not garbage
.SECONDARY:
all: $(LIB) $(CLI) $(MCF)

# Rebuild everything when the compiler flags change (e.g. SANITIZE on/off).
$(BUILD)/.flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CC) $(ALL_CFLAGS)' | cmp -s - $@ || echo '$(CC) $(ALL_CFLAGS)' > $@
.PHONY: FORCE

$(BUILD)/%.o: %.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) $(TEST_CFLAGS) -c $< -o $@

$(LIB): $(ENGINE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(CLI): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) $(SAN_LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(PKG_LIBS)

$(BUILD)/tests/unit/test_%: $(BUILD)/tests/unit/test_%.o $(TEST_SUPPORT) $(LIB)
	$(CC) $(LDFLAGS) $(SAN_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS)

$(MCF): $(BUILD)/engine/tools/folio_mcf.o $(LIB)
	$(CC) $(LDFLAGS) $(SAN_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

$(BENCH_MCF): $(BUILD)/bench/bench_mcf.o $(LIB)
	$(CC) $(LDFLAGS) $(SAN_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

$(BENCH): $(BUILD)/bench/bench.o $(LIB)
	$(CC) $(LDFLAGS) $(SAN_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

# ------------------------------------------------------------------ set-up
# Check each library with pkg-config and each tool with `command -v`; install
# the missing Debian packages as root, otherwise print the one command needed.
deps:
	@missing=""; \
	$(foreach m,$(PKG_MODULES) $(TEST_MODULES),pkg-config --exists $(m) 2>/dev/null || missing="$$missing $(DEB_$(m))"; ) \
	$(foreach c,$(TOOL_CMDS),command -v $(or $(CMD_$(c)),$(c)) >/dev/null 2>&1 || missing="$$missing $(DEB_$(c))"; ) \
	if [ -z "$$missing" ]; then echo "deps: all libraries and tools present"; exit 0; fi; \
	echo "deps: missing:$$missing"; \
	if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	else \
	  echo "deps: as root, run:  apt-get update && apt-get install -y$$missing"; exit 1; \
	fi

# ------------------------------------------------------------------ tests
check: deps
	$(MAKE) --no-print-directory test

test: $(LIB) $(CLI) $(MCF) $(UNIT)
	@sh tests/run.sh $(BUILD)

# ------------------------------------------------------------------ demo
demo: deps
	$(MAKE) --no-print-directory $(CLI)
	sh tests/demo.sh $(CURDIR)/$(CLI)

# ------------------------------------------------------------------ bench
bench: deps
	$(MAKE) --no-print-directory $(BENCH) $(CLI) $(BENCH_MCF) $(MCF)
	$(BENCH) $(BENCH_ARGS)
	$(BENCH_MCF) $(BENCH_MCF_ARGS)

# Peak memory at the resource limits (10,000 entries, 100 MB files, 100,000-row CSV) against the
# 64 MiB target, measured with GNU time (bench/limits.sh).
bench-limits: TOOL_CMDS += gnu-time
CMD_gnu-time = /usr/bin/time
DEB_gnu-time = time
bench-limits: deps
	$(MAKE) --no-print-directory $(CLI)
	sh bench/limits.sh $(CLI)

# ------------------------------------------------------------------ valgrind
# The CLI tests (and the unit tests) under valgrind memcheck, on a normal build in build-vg: any
# invalid access or definite leak fails (tests/valgrind.sh). Slow, so not part of `make check`.
VG_BUILD = build-vg
valgrind: TOOL_CMDS += valgrind
DEB_valgrind = valgrind
valgrind: deps
	$(MAKE) --no-print-directory BUILD=$(VG_BUILD) SANITIZE= \
		$(VG_BUILD)/libfolio.a $(VG_BUILD)/folio $(VG_BUILD)/folio-mcf \
		$(TEST_SRC:tests/unit/%.c=$(VG_BUILD)/tests/unit/%)
	sh tests/valgrind.sh $(VG_BUILD)

clean:
	rm -rf $(BUILD)

-include $(BUILD)/engine/tools/folio_mcf.d $(BUILD)/bench/bench_mcf.d $(BUILD)/bench/bench.d
-include $(ENGINE_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(TEST_SUPPORT:.o=.d)
