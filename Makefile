# keten -- build, test, fuzz, bench, demo.  See README.md.
#
#   make            libketen (build/libketen.a) and the program build/keten
#   make test       installs what is missing, builds, runs every test
#   make check-layers  the layer rules: includes, private headers, symbol
#                   prefixes, no include or call cycles (tests/tools/check_layers.py)
#   make asan       the same tests again under AddressSanitizer + UBSan (build/asan/)
#   make fuzz       libFuzzer targets (clang), each run FUZZ_SECONDS (build/fuzz/)
#   make bench      the benchmarks in bench/ (prints figures; not a test)
#   make demo       installs what is missing, builds, runs the main job
#   make demo-laundry  a laundry's RFID tunnels over LLRP: wash counts rising
#   make deps       installs the Debian packages keten needs (sudo when not root)
#   make install    PREFIX=/usr/local
#
# Objects and programs go under $(BUILD); nothing is generated in the sources.

BUILD   ?= build
PREFIX  ?= /usr/local
CC      ?= cc
SAN     ?=
OPT     ?= -O2 -g
FUZZ_SECONDS ?= 30

PKGS     = libsodium libcrypto libzstd lmdb jansson libcbor libuv libnfc libqrencode zbar libpng libjpeg libsystemd libxml-2.0 libnats
DEB_PKGS = build-essential pkg-config clang libclang-rt-14-dev libsodium-dev liblmdb-dev libjansson-dev \
           libcbor-dev libcmocka-dev libzstd-dev libsystemd-dev lmdb-utils python3 time openssl libssl-dev \
           libuv1-dev libnfc-dev libnfc-bin libqrencode-dev libzbar-dev zbar-tools libpng-dev libjpeg-dev graphviz libxml2-dev libxml2-utils \
           golang-go golang-golang-x-mod-dev libhttp-parser-dev curl python3-jsonschema nodejs chromium nginx \
           systemd nats-server libnats-dev golang-github-nats-io-go-nats-dev
# npm too (tests/browser, tests/epcis2js): check-deps installs Debian's npm unless an npm
# is there already (NodeSource's nodejs carries its own and conflicts with Debian's npm).
# what `make bench` needs besides (bench/http.sh: wrk, and h2load of nghttp2-client)
BENCH_DEB_PKGS = wrk nghttp2-client

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# ledger/ is split by concern (docs/architecture.md): base <- epcis, log <- store <- query.
LEDGER_DIRS = ledger/base ledger/epcis ledger/log ledger/store ledger/query
CPPFLAGS += -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Igs1 $(LEDGER_DIRS:%=-I%) -Inode -Ireaders -Icli
CFLAGS   := -std=c11 -Wall -Wextra -Werror $(OPT) $(SAN) $(PKG_CFLAGS) $(CFLAGS)
LDLIBS   += $(PKG_LIBS) -lhttp_parser -lpthread -lm

LIB_SRC  := $(wildcard gs1/*.c $(LEDGER_DIRS:%=%/*.c) node/*.c readers/*.c)
CLI_SRC  := $(wildcard cli/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
BENCH_SRC := $(wildcard bench/*.c)
TOOL_SRC := $(wildcard tests/tools/*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/node_page_assets.o
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
LIB      := $(BUILD)/libketen.a
PROG     := $(BUILD)/keten

.PHONY: all check-layers test unit asan fuzz fuzz-build bench demo demo-laundry deps install clean format check-deps check-bench-deps

all: $(PROG) $(LIB)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# The product page's files (web/) compiled into the program (node/node_page.h).
WEB_FILES := $(sort $(wildcard web/*.html web/*.css web/*.js))

$(BUILD)/gen/node_page_assets.c: $(WEB_FILES) web/embed.py
	@mkdir -p $(dir $@)
	python3 web/embed.py $@ $(WEB_FILES)

$(BUILD)/obj/gen/node_page_assets.o: $(BUILD)/gen/node_page_assets.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(PROG): $(CLI_OBJ) $(LIB)
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS) -lcmocka

$(BUILD)/tools/%: tests/tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

unit: $(UNIT_BIN) $(PROG) $(TOOL_BIN)

# README command 2.  Installs what is missing, builds, runs every test.
test: check-deps
	$(MAKE) unit
	tests/run.sh $(BUILD)

# The layers (docs/architecture.md): reads the sources and the objects of `make all`.
check-layers: all
	python3 tests/tools/check_layers.py --build $(BUILD)

asan: check-deps
	$(MAKE) BUILD=build/asan SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" OPT="-O1 -g" unit
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 CRASH_ENTRIES=120000 \
		tests/run.sh build/asan

FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_FLAGS = -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS) $(PKG_CFLAGS)
FUZZ_OBJ_FLAGS = -std=c11 -g -O1 -fsanitize=fuzzer-no-link,address,undefined $(CPPFLAGS) $(PKG_CFLAGS)

FUZZ_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o) build/fuzz/obj/gen/node_page_assets.o
FUZZ_LIB := build/fuzz/libketen-fuzz.a

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_OBJ_FLAGS) -MMD -MP -c $< -o $@

build/fuzz/obj/gen/node_page_assets.o: build/gen/node_page_assets.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_OBJ_FLAGS) -c $< -o $@

ifneq ($(BUILD),build)
build/gen/node_page_assets.c: $(WEB_FILES) web/embed.py
	@mkdir -p $(dir $@)
	python3 web/embed.py $@ $(WEB_FILES)
endif

$(FUZZ_LIB): $(FUZZ_OBJ)
	rm -f $@
	ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -o $@ $< $(FUZZ_LIB) $(LDLIBS)

fuzz-build: check-deps $(FUZZ_BIN)

# Seeds: our own corpus where there is one, and GS1's conformance material.
KETEN_SHARED ?= ../shared
SEEDS_fuzz_entry  = tests/fuzz/corpus/fuzz_entry
SEEDS_fuzz_epcis  = $(KETEN_SHARED)/conformance/epcis-examples/JSON tests/data/epcis
SEEDS_fuzz_evhash = $(KETEN_SHARED)/conformance/event-hash/examples
SEEDS_fuzz_gs1    = tests/fuzz/corpus/fuzz_gs1 $(KETEN_SHARED)/conformance/epc-tds
SEEDS_fuzz_dl     = $(KETEN_SHARED)/conformance/digital-link
SEEDS_fuzz_elem   = $(KETEN_SHARED)/conformance/digital-link
SEEDS_fuzz_epc    = $(KETEN_SHARED)/conformance/epc-tds
SEEDS_fuzz_rows   = tests/fuzz/corpus/fuzz_rows
SEEDS_fuzz_note   = tests/fuzz/corpus/fuzz_note
SEEDS_fuzz_proof  = tests/fuzz/corpus/fuzz_proof
SEEDS_fuzz_xml    = tests/fuzz/corpus/fuzz_xml $(KETEN_SHARED)/conformance/epcis-examples/XML $(KETEN_SHARED)/conformance/event-hash/examples

fuzz: fuzz-build
	@for f in $(FUZZ_BIN); do \
		name=$$(basename $$f); \
		case $$name in \
		fuzz_entry) seeds="$(SEEDS_fuzz_entry)";; fuzz_epcis) seeds="$(SEEDS_fuzz_epcis)";; \
		fuzz_evhash) seeds="$(SEEDS_fuzz_evhash)";; fuzz_dl) seeds="$(SEEDS_fuzz_dl)";; \
		fuzz_elem) seeds="$(SEEDS_fuzz_elem)";; fuzz_epc) seeds="$(SEEDS_fuzz_epc)";; \
		fuzz_rows) seeds="$(SEEDS_fuzz_rows)";; fuzz_note) seeds="$(SEEDS_fuzz_note)";; \
		fuzz_proof) seeds="$(SEEDS_fuzz_proof)";; fuzz_gs1) seeds="$(SEEDS_fuzz_gs1)";; \
		fuzz_xml) seeds="$(SEEDS_fuzz_xml)";; \
		*) seeds="tests/fuzz/corpus/$$name";; esac; \
		existing=""; for d in $$seeds; do [ -d $$d ] && existing="$$existing $$d"; done; \
		mkdir -p build/fuzz/corpus/$$name; \
		echo "fuzz: $$name for $(FUZZ_SECONDS) s (seeds:$${existing:- none})"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
			-artifact_prefix=build/fuzz/$$name- build/fuzz/corpus/$$name $$existing \
			2>build/fuzz/$$name.log || { tail -50 build/fuzz/$$name.log; exit 1; }; \
		grep -E '^Done [0-9]+ runs' build/fuzz/$$name.log | tail -1; \
	done

bench: check-bench-deps all $(BENCH_BIN)
	bench/run.sh $(BUILD)

# README command 1.  Installs what is missing, builds, runs the main job.
demo: check-deps
	$(MAKE) all
	demo/demo.sh $(BUILD)/keten

# A laundry's RFID tunnels (LLRP reader emulator): passes of a cart become
# events, wash counts rise (demo/laundry.sh).
demo-laundry: check-deps
	$(MAKE) all
	demo/laundry.sh $(BUILD)/keten

check-bench-deps:
	@$(MAKE) --no-print-directory check-deps DEB_PKGS="$(BENCH_DEB_PKGS)"

check-deps:
	@missing=""; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

deps: check-deps

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/keten
	install -m 0755 $(PROG) $(DESTDIR)$(PREFIX)/bin/keten
	install -m 0644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libketen.a
	install -m 0644 $(filter-out %__int.h %/ledger__%.h gs1/gs1__%.h readers/reader__%.h node/node_state.h node/node_session.h,$(wildcard gs1/*.h $(LEDGER_DIRS:%=%/*.h) node/*.h readers/*.h)) \
		$(DESTDIR)$(PREFIX)/include/keten/
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system $(DESTDIR)$(PREFIX)/lib/sysusers.d
	for u in keten-node.service keten-scan@.service; do \
		sed 's|@BINDIR@|$(PREFIX)/bin|g' dist/systemd/$$u >$(DESTDIR)$(PREFIX)/lib/systemd/system/$$u && \
		chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/$$u || exit 1; \
	done
	install -m 0644 dist/systemd/keten.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/keten.conf

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(UNIT_SRC) $(BENCH_SRC) $(FUZZ_SRC) gs1/*.h $(LEDGER_DIRS:%=%/*.h) node/*.h readers/*.h cli/*.h bench/*.h tests/unit/*.h $(TOOL_SRC)

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj build/fuzz/obj -name '*.d' 2>/dev/null)
