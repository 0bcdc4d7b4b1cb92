# folio: plain Makefile. `make` builds build/libfolio.a and build/folio.
# `make deps` checks every library with pkg-config and installs what is missing.

BUILD    ?= build
CC       ?= cc
SANITIZE ?=
PREFIX   ?= /usr/local

# pkg-config module -> Debian package that provides it
PKG_MODULES = libgit2 libcmark libzip sqlite3 jansson libcrypto zlib libdeflate
TEST_MODULES = cmocka
DEB_libgit2 = libgit2-dev
DEB_libcmark = libcmark-dev
DEB_libzip = libzip-dev
DEB_sqlite3 = libsqlite3-dev
DEB_jansson = libjansson-dev
DEB_libcrypto = libssl-dev
DEB_zlib = zlib1g-dev
DEB_libdeflate = libdeflate-dev
DEB_cmocka = libcmocka-dev
# commands the tests and demo run: command -> Debian package
TOOL_CMDS = git pkg-config dimacs-solver sqlite3-shell chromium python3 cmark unzip
DEB_git = git
DEB_pkg-config = pkg-config
# the sqlite3 shell: the crash tests check sites with it, t_perms compares the database around a refusal.
# DEB_sqlite3 already names the library's package, so the command is checked as sqlite3-shell
# (CMD_x: the command to look for when it is not x itself).
CMD_sqlite3-shell = sqlite3
DEB_sqlite3-shell = sqlite3
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
# fuzz targets: every tests/fuzz/fuzz_NAME.c, seeds in tests/fuzz/NAME/ (see docs/fuzzing.md)
FUZZ_SRC   = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES = $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_BIN   = $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/fuzz_%)
BENCH = $(BUILD)/folio-bench
BENCH_PACK = $(BUILD)/folio-bench-pack
BENCH_ARCHIVE = $(BUILD)/folio-bench-archive

.PHONY: all deps check test demo bench bench-pack bench-archive bench-limits screenshots clean fuzz fuzz-deps fuzz-build valgrind
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

# A fuzz target links with libFuzzer (LIBFUZZER=1, clang: `make fuzz`) or with
# tests/fuzz/main.c, a plain driver that replays files (any compiler: `make test`).
ifeq ($(LIBFUZZER),1)
FUZZ_LINK = $(BUILD)/tests/fuzz/common.o
FUZZ_LDFLAGS = -fsanitize=fuzzer
else
FUZZ_LINK = $(BUILD)/tests/fuzz/common.o $(BUILD)/tests/fuzz/main.o
endif
$(BUILD)/tests/fuzz/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_LINK) $(LIB)
	$(CC) $(LDFLAGS) $(SAN_LDFLAGS) $(FUZZ_LDFLAGS) -o $@ $^ $(PKG_LIBS)

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

test: $(LIB) $(CLI) $(MCF) $(UNIT) $(FUZZ_BIN)
	@sh tests/run.sh $(BUILD)

# ------------------------------------------------------------------ fuzzing
# `make fuzz FUZZ_SECONDS=N [FUZZ_TARGETS="csv dimacs"]`: build every target with
# clang and libFuzzer, ASan and UBSan in $(FUZZ_BUILD), then run each for N
# seconds on a copy of its seeds (tests/fuzz/run.sh; crashes land in
# $(FUZZ_BUILD)/artifacts/). The seeds in tests/fuzz/ are never written.
FUZZ_SECONDS ?= 60
FUZZ_BUILD   ?= $(BUILD)/fuzz
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_SANITIZE = fuzzer-no-link,address,undefined

fuzz: deps fuzz-deps
	$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang SANITIZE=$(FUZZ_SANITIZE) LIBFUZZER=1 fuzz-build
	sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-build: $(FUZZ_BIN)

# clang (Debian `clang`) and its libFuzzer and sanitizer runtimes (`libclang-rt-V-dev`,
# V the clang major version): checked by linking a one-line fuzz target.
fuzz-deps:
	@t=$$(mktemp -d); trap 'rm -rf "$$t"' EXIT; \
	printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$$t/f.c"; \
	ok() { command -v clang >/dev/null 2>&1 && clang -fsanitize=fuzzer,address,undefined -o "$$t/f" "$$t/f.c" >/dev/null 2>&1; }; \
	if ok; then echo "fuzz-deps: clang and libFuzzer present"; exit 0; fi; \
	missing=clang; \
	if command -v clang >/dev/null 2>&1; then missing="libclang-rt-$$(clang -dumpversion | cut -d. -f1)-dev"; fi; \
	echo "fuzz-deps: missing: $$missing"; \
	if [ "$$(id -u)" != 0 ]; then echo "fuzz-deps: as root, run:  apt-get update && apt-get install -y $$missing"; exit 1; fi; \
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing || exit 1; \
	if ! ok && [ "$$missing" = clang ]; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "libclang-rt-$$(clang -dumpversion | cut -d. -f1)-dev" || exit 1; \
	fi; \
	ok || { echo "fuzz-deps: clang cannot link a libFuzzer target"; exit 1; }

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

-include $(BUILD)/engine/tools/folio_mcf.d $(BUILD)/bench/bench_mcf.d $(BUILD)/bench/bench.d $(BUILD)/bench/bench_pack.d $(BUILD)/bench/bench_archive.d
-include $(ENGINE_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(TEST_SUPPORT:.o=.d)
-include $(FUZZ_SRC:%.c=$(BUILD)/%.d) $(BUILD)/tests/fuzz/common.d $(BUILD)/tests/fuzz/main.d
