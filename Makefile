# folio: plain Makefile. `make` builds build/libfolio.a and build/folio.
# `make deps` checks every library with pkg-config and installs what is missing.

BUILD    ?= build
CC       ?= cc
SANITIZE ?=
PREFIX   ?= /usr/local

# pkg-config module -> Debian package that provides it
PKG_MODULES = libgit2 libcmark libzip sqlite3 jansson libcrypto zlib
TEST_MODULES = cmocka
DEB_libgit2 = libgit2-dev
DEB_libcmark = libcmark-dev
DEB_libzip = libzip-dev
DEB_sqlite3 = libsqlite3-dev
DEB_jansson = libjansson-dev
DEB_libcrypto = libssl-dev
DEB_zlib = zlib1g-dev
DEB_cmocka = libcmocka-dev
# commands the tests and demo run: command -> Debian package
TOOL_CMDS = git pkg-config dimacs-solver sqlite3 chromium python3 cmark unzip
DEB_git = git
DEB_pkg-config = pkg-config
# the sqlite3 shell checks sites in the crash tests (DEBCMD_: a command whose name is also a module's)
DEBCMD_sqlite3 = sqlite3
# the archive tests check folio's zips with unzip -t and craft bad ones with Python's zipfile
DEB_unzip = unzip
# LEMON's min-cost-flow solver: the oracle the solver tests and bench compare with
DEB_dimacs-solver = liblemon-utils
# headless Chromium loads packs and certificates in the browser test (tests/browser, driven by python3);
# the cmark command line is what bench-pack measures pack rendering against
DEB_chromium = chromium
DEB_python3 = python3
DEB_cmark = cmark

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
BENCH_PACK = $(BUILD)/folio-bench-pack
BENCH_ARCHIVE = $(BUILD)/folio-bench-archive

.PHONY: all deps check test demo bench bench-pack bench-archive screenshots clean
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

$(BENCH_PACK): $(BUILD)/bench/bench_pack.o $(LIB)
	$(CC) $(LDFLAGS) $(SAN_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

$(BENCH_ARCHIVE): $(BUILD)/bench/bench_archive.o $(LIB)
	$(CC) $(LDFLAGS) $(SAN_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

# ------------------------------------------------------------------ set-up
# Check each library with pkg-config and each tool with `command -v`; install
# the missing Debian packages as root, otherwise print the one command needed.
deps:
	@missing=""; \
	$(foreach m,$(PKG_MODULES) $(TEST_MODULES),pkg-config --exists $(m) 2>/dev/null || missing="$$missing $(DEB_$(m))"; ) \
	$(foreach c,$(TOOL_CMDS),command -v $(c) >/dev/null 2>&1 || missing="$$missing $(or $(DEBCMD_$(c)),$(DEB_$(c)))"; ) \
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

# PNG screenshots of a demo pack (a resubmission with feedback), a panel index and certificates
screenshots: deps
	$(MAKE) --no-print-directory $(CLI)
	sh tests/browser/run.sh $(CURDIR)/$(CLI) $(CURDIR)/$(BUILD)/screenshots
	@echo "screenshots in $(BUILD)/screenshots/"

# ------------------------------------------------------------------ bench
# bench-pack and bench-archive share one kept cohort (generated by folio-bench when missing)
BENCH_SITE ?= $(CURDIR)/$(BUILD)/bench-cohort
bench: deps
	$(MAKE) --no-print-directory $(BENCH) $(CLI) $(BENCH_MCF) $(MCF) $(BENCH_PACK) $(BENCH_ARCHIVE)
	$(BENCH) $(BENCH_ARGS)
	$(BENCH_MCF) $(BENCH_MCF_ARGS)
	$(BENCH_PACK) --site $(BENCH_SITE) $(BENCH_PACK_ARGS)
	$(BENCH_ARCHIVE) --site $(BENCH_SITE) $(BENCH_ARCHIVE_ARGS)

# packs of a whole cohort against the cmark command line (bench/README.md)
bench-pack: deps
	$(MAKE) --no-print-directory $(BENCH_PACK) $(BENCH)
	$(BENCH_PACK) --site $(BENCH_SITE) $(BENCH_PACK_ARGS)

# archiving the cohort against git bundle + git archive for each portfolio
bench-archive: deps
	$(MAKE) --no-print-directory $(BENCH_ARCHIVE) $(BENCH)
	$(BENCH_ARCHIVE) --site $(BENCH_SITE) $(BENCH_ARCHIVE_ARGS)

clean:
	rm -rf $(BUILD)

-include $(BUILD)/engine/tools/folio_mcf.d $(BUILD)/bench/bench_mcf.d $(BUILD)/bench/bench.d $(BUILD)/bench/bench_pack.d $(BUILD)/bench/bench_archive.d
-include $(ENGINE_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(TEST_SUPPORT:.o=.d)
