# fw - a versioned store for AI agent trajectories.
# Targets: all (default), test, demo, bench, install, asan, fuzz, clean.

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
BUILD ?= build

PKGS := libgit2 libzstd libcrypto yaml-0.1 json-c libpcre2-8 libutf8proc zlib
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
CFLAGS ?= -O2 -g
ALL_CFLAGS := -DFW_VERSION=\"0.1.0\" -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude -Icore -Iobjstore $(PKG_CFLAGS) $(CFLAGS) -MMD -MP
LIBS := $(PKG_LIBS) -lpthread -lm

# The fw binary of the default build links the libraries' archives when all
# are there (Debian's -dev packages ship them): every command starts about
# 2 ms sooner, the dynamic loader no longer mapping 23 shared objects
# (docs/design.md (w)). STATIC=0 links the shared objects; the sanitizer and
# fuzzing builds always do. link/static_link.c or link/nocerts.c goes with it.
comma := ,
STATIC_NAMES := git2 mbedtls mbedx509 mbedcrypto http_parser ssh2 pcre2-8 zstd yaml json-c \
	utf8proc crypto z
ifeq ($(origin STATIC),undefined)
STATIC := $(if $(filter build,$(BUILD)),$(if $(filter-out /%,$(foreach l,$(STATIC_NAMES),\
	$(shell $(CC) -print-file-name=lib$(l).a 2>/dev/null))),0,1),0)
endif
ifeq ($(STATIC),1)
FW_LINK_OBJ = $(BUILD)/link/static_link.o
FW_WRAP := git_mbedtls_stream_global_init git_mbedtls_stream_new git_mbedtls_stream_wrap \
	git_transport_ssh_global_init git_smart_subtransport_ssh git_transport_ssh_with_paths
FW_LIBS := $(addprefix -Wl$(comma)--wrap=,$(FW_WRAP)) \
	-Wl,-Bstatic $(addprefix -l,$(STATIC_NAMES)) -Wl,-Bdynamic -lpthread -lm -ldl -lrt
else
FW_LINK_OBJ = $(BUILD)/link/nocerts.o
FW_LIBS := $(LIBS)
endif

# --- sources, one list per layer (DESIGN.md section 2) ---
OBJSTORE_SRC := \
	objstore/objstore.c \
	objstore/local.c \
	objstore/local_gc.c

CORE_SRC := \
	core/error.c \
	core/buf.c \
	core/json.c \
	core/jsontext.c \
	core/column.c \
	core/pool.c \
	core/ptree.c \
	core/store.c \
	core/schema.c \
	core/version.c \
	core/corpus.c \
	core/rowgroup.c \
	core/chunk.c \
	core/idindex.c \
	core/stage.c \
	core/commit.c \
	core/read.c \
	core/diff.c \
	core/diff_util.c \
	core/merge.c \
	core/merge_plan.c \
	core/merge_fast.c \
	core/merge_state.c \
	core/merge_rec.c \
	core/rev.c \
	core/refname.c \
	core/branch.c \
	core/tag.c \
	core/reflog.c \
	core/log.c \
	core/import.c \
	core/import_formats.c \
	core/filter.c \
	core/filter_lex.c \
	core/filter_eval.c \
	core/filter_vec.c \
	core/filter_stats.c \
	core/filter_scan.c \
	core/tokenizer.c \
	core/tokenizer_json.c \
	core/tokenizer_encode.c \
	core/pretok.c \
	core/bpe.c \
	core/chat_template.c \
	core/chat_render.c \
	core/reach.c \
	core/fsck.c \
	core/gc.c \
	core/stats.c

GPU_SRC :=

CMD_SRC := \
	cmd/fw.c \
	cmd/opt.c \
	cmd/util.c \
	cmd/init.c \
	cmd/corpus.c \
	cmd/add.c \
	cmd/rm.c \
	cmd/status.c \
	cmd/commit.c \
	cmd/log.c \
	cmd/show.c \
	cmd/cat.c \
	cmd/diff.c \
	cmd/merge.c \
	cmd/conflicts.c \
	cmd/resolve.c \
	cmd/tokenize.c \
	cmd/branch.c \
	cmd/switch.c \
	cmd/tag.c \
	cmd/reset.c \
	cmd/reflog.c \
	cmd/stats.c \
	cmd/fsck.c \
	cmd/gc.c

UNIT_SRC := \
	tests/unit/main.c \
	tests/unit/test_buf.c \
	tests/unit/test_json.c \
	tests/unit/test_jsontext.c \
	tests/unit/test_column.c \
	tests/unit/test_ptree.c \
	tests/unit/test_store.c \
	tests/unit/test_chunk.c \
	tests/unit/test_pool.c \
	tests/unit/test_import.c \
	tests/unit/test_filter.c \
	tests/unit/test_tokenizer.c \
	tests/unit/test_chat.c \
	tests/unit/test_refname.c \
	tests/unit/test_maint.c \
	tests/unit/test_merge.c

FUZZ_TARGETS := objects jsonl canon filter filter_json tokenizer_json encode chat_template meta

# Built-in chat templates, embedded into the library from YAML data.
TEMPLATES := $(sort $(wildcard core/templates/*.yaml))

LIB_SRC := $(OBJSTORE_SRC) $(CORE_SRC) $(GPU_SRC)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/chat_templates.o
CMD_OBJ := $(CMD_SRC:%.c=$(BUILD)/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)

FW := $(BUILD)/fw
UNIT := $(BUILD)/fw-unit

.PHONY: all deps test unit cli demo bench install asan fuzz clean
all: deps $(FW)

deps:
	@sh scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/gen/chat_templates.c: $(TEMPLATES) scripts/embed_templates.sh
	@mkdir -p $(dir $@)
	sh scripts/embed_templates.sh $@ $(TEMPLATES)

$(BUILD)/gen/chat_templates.o: $(BUILD)/gen/chat_templates.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libfw.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# fw is linked again when STATIC changes
$(BUILD)/.static-$(STATIC):
	@mkdir -p $(BUILD) && rm -f $(BUILD)/.static-* && touch $@

$(FW): $(CMD_OBJ) $(FW_LINK_OBJ) $(BUILD)/libfw.a $(BUILD)/.static-$(STATIC)
	$(CC) $(ALL_CFLAGS) -o $@ $(CMD_OBJ) $(FW_LINK_OBJ) $(BUILD)/libfw.a $(FW_LIBS)

$(UNIT): $(UNIT_OBJ) $(BUILD)/libfw.a
	$(CC) $(ALL_CFLAGS) -o $@ $(UNIT_OBJ) $(BUILD)/libfw.a $(LIBS)

$(BUILD)/tests/unit/main.o: tests/unit/tests.def

# Benchmark of the filter language (tests/bench/filter/run.sh runs it).
$(BUILD)/filter-bench: tests/bench/filter_bench.c $(BUILD)/libfw.a
	$(CC) $(ALL_CFLAGS) -o $@ tests/bench/filter_bench.c $(BUILD)/libfw.a $(LIBS)

test: deps $(FW) $(UNIT)
	@FW=$(abspath $(FW)) UNIT=$(abspath $(UNIT)) sh tests/run.sh

unit: deps $(UNIT)
	$(UNIT)

demo: deps $(FW)
	@FW=$(abspath $(FW)) sh scripts/demo.sh

# Import throughput on a file: build/bench_import FILE [THREADS...]
$(BUILD)/bench_import: tests/bench/bench_import.c $(BUILD)/libfw.a
	$(CC) $(ALL_CFLAGS) -o $@ tests/bench/bench_import.c $(BUILD)/libfw.a $(LIBS)

bench: deps $(FW)
	@FW=$(abspath $(FW)) sh tests/bench/run.sh

install: $(FW)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 755 $(FW) $(DESTDIR)$(PREFIX)/bin/fw
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	-install -m 644 man/*.7 $(DESTDIR)$(PREFIX)/share/man/man7/ 2>/dev/null

# AddressSanitizer + UndefinedBehaviorSanitizer build of fw and the tests.
asan: deps
	$(MAKE) BUILD=build-asan CC=clang CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" build-asan/fw build-asan/fw-unit
	FW=$(abspath build-asan/fw) UNIT=$(abspath build-asan/fw-unit) ASAN_OPTIONS=detect_leaks=1 FW_ASAN=1 sh tests/run.sh

# libFuzzer targets (clang): build-fuzz/fuzz_<name>; the library is built with
# fuzzer-no-link so that libFuzzer sees its coverage. Run one with
#   build-fuzz/fuzz_jsonl -max_total_time=60 -artifact_prefix=build-fuzz/ build-fuzz/corpus-jsonl
# A finding is written under build-fuzz/ (never into the source tree, where it
# was once committed by mistake); copy it into tests/fuzz/seeds/<name>/ with
# the fix, so that every later run replays it.
FUZZ_FLAGS := -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
fuzz: deps
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" build-fuzz/libfw.a
	@for t in $(FUZZ_TARGETS); do \
		echo "clang fuzz $$t"; \
		clang -std=c11 -D_GNU_SOURCE -Iinclude -Icore -Iobjstore $(PKG_CFLAGS) $(FUZZ_FLAGS) \
			tests/fuzz/fuzz_$$t.c build-fuzz/libfw.a $(LIBS) -o build-fuzz/fuzz_$$t || exit 1; \
	done
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p build-fuzz/corpus-$$t; \
		echo "fuzz_$$t: 20 s"; \
		dict=; [ -f tests/fuzz/$$t.dict ] && dict=-dict=tests/fuzz/$$t.dict; \
		build-fuzz/fuzz_$$t -max_total_time=20 -print_final_stats=0 -artifact_prefix=build-fuzz/ $$dict build-fuzz/corpus-$$t tests/fuzz/seeds/$$t >/dev/null 2>build-fuzz/fuzz_$$t.log || { tail -40 build-fuzz/fuzz_$$t.log; exit 1; }; \
	done; echo "fuzz: all targets ran clean"

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(FW_LINK_OBJ:.o=.d)
