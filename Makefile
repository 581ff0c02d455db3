# SPDX-License-Identifier: MIT
# make        install missing Debian packages, build build/hv and the default guest
# make check  the whole test suite (unit tests, then VM tests); last line "N passed, N failed"
# make fuzz   the fuzz targets of tests/fuzz, FUZZ_TIME (60) seconds each

CC ?= cc
CFLAGS ?= -O2 -g
WARN := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wformat=2 -Wno-format-nonliteral
CPPFLAGS += -D_GNU_SOURCE -Isrc
JSONC_CFLAGS = $(shell pkg-config --cflags json-c)
JSONC_LIBS = $(shell pkg-config --libs json-c) -lnftables -lseccomp -lcrypt -lpthread -ldl

B := build
LIB_SRC := $(sort $(wildcard src/*/*.c))
LIB_OBJ := $(LIB_SRC:src/%.c=$(B)/obj/%.o)
ASAN_OBJ := $(LIB_SRC:src/%.c=$(B)/asan/%.o)
INIT_SRC := $(wildcard guest/init/*.c) src/guest/proto.c
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

.PHONY: all deps hv guest web check unit vmtest bench clean fuzz fuzz-build
all: deps
	@$(MAKE) --no-print-directory hv guest web

deps:
	@scripts/deps.sh

hv: $(B)/hv $(B)/hv-runc
guest: $(B)/guest/initramfs.cpio
# hv ui's front-end: web/ and the npm packages pinned in web/package-lock.json
web: $(B)/web/index.html
$(B)/web/index.html: $(wildcard web/*.html web/*.js web/*.css) web/package.json web/package-lock.json scripts/web.sh
	@scripts/web.sh $(B)

$(B)/obj/%.o: src/%.c $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(WARN) $(CPPFLAGS) $(CFLAGS) $(JSONC_CFLAGS) -c -o $@ $<

$(B)/libhv.a: $(LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(B)/hv: src/main.c $(B)/libhv.a
	@echo "  LD $@"
	@$(CC) $(WARN) $(CPPFLAGS) $(CFLAGS) $(JSONC_CFLAGS) -o $@ $< $(B)/libhv.a $(JSONC_LIBS)

$(B)/hv-runc: $(B)/hv
	@ln -sf hv $@

# hv's init: static, so the initramfs needs no libc.
$(B)/guest/init: $(INIT_SRC) $(wildcard guest/init/*.h) src/guest/proto.h
	@mkdir -p $(dir $@)
	@echo "  LD (static) $@"
	@$(CC) $(WARN) $(CPPFLAGS) -Os -static -s -o $@ $(INIT_SRC)

$(B)/guest/initramfs.cpio: $(B)/guest/init guest/build.sh $(shell find guest/rootfs -type f)
	guest/build.sh $(B)/guest/init $(B)/guest

# Unit tests build the library again with AddressSanitizer and UBSan.
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer
$(B)/asan/%.o: src/%.c $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC (asan) $<"
	@$(CC) $(WARN) $(CPPFLAGS) -O1 -g $(SAN) $(JSONC_CFLAGS) -c -o $@ $<

$(B)/libhv-asan.a: $(ASAN_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(B)/tests/%: tests/unit/%.c $(wildcard tests/unit/t*.h) $(B)/libhv-asan.a
	@mkdir -p $(dir $@)
	@echo "  LD (asan) $@"
	@$(CC) $(WARN) $(CPPFLAGS) -Itests/unit -O1 -g $(SAN) $(JSONC_CFLAGS) -o $@ $< $(B)/libhv-asan.a $(JSONC_LIBS)

# test_initsess builds hv's init's session code in, with fakes
$(B)/tests/test_initsess: $(wildcard guest/init/*.c guest/init/*.h)

unit: $(UNIT_BIN)

check: all
	@$(MAKE) --no-print-directory unit
	@tests/run

# make fuzz: the libFuzzer targets of tests/fuzz (clang, only for this),
# each run FUZZ_TIME seconds from its seed corpus (tests/fuzz/run.sh); what
# they find is kept in build/fuzz/corpus/, crashes in build/fuzz/crashes/.
FUZZ_CC ?= clang
FUZZ_TIME ?= 60
# clang warns of _cleanup_ variables that are never read
FUZZ_WARN := $(WARN) -Wno-unused-variable
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_OBJ := $(LIB_SRC:src/%.c=$(B)/fuzzobj/%.o)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
$(B)/fuzzobj/%.o: src/%.c $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC (fuzz) $<"
	@$(FUZZ_CC) $(FUZZ_WARN) $(CPPFLAGS) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(JSONC_CFLAGS) -c -o $@ $<

$(B)/libhv-fuzz.a: $(FUZZ_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(B)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(B)/libhv-fuzz.a
	@mkdir -p $(dir $@)
	@echo "  LD (fuzz) $@"
	@$(FUZZ_CC) $(FUZZ_WARN) $(CPPFLAGS) -Itests/fuzz -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer $(JSONC_CFLAGS) -o $@ $< \
		$(B)/libhv-fuzz.a $(JSONC_LIBS)

# fuzz_initsess builds hv's init's session code in
$(B)/fuzz/fuzz_initsess: $(wildcard guest/init/*.c guest/init/*.h) tests/unit/t_initsys.h

fuzz-build: $(FUZZ_BIN)

fuzz:
	@scripts/deps.sh --fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_TIME=$(FUZZ_TIME) FUZZ_KEEP=1 tests/fuzz/run.sh

bench: all
	bench/boot.sh

clean:
	rm -rf $(B)
