# nflogd — block LAN hosts that spam, with NFLOG and nftables.
#   make              build nflogd into build/
#   sudo make check   install what is missing, build, run unit + integration tests
#   sudo make demo    a namespace lab where a spam bot gets blocked
#   sudo make bench   benchmarks (not part of check)

CC      ?= cc
PKGS    := libmnl libnetfilter_log libnftnl
CSTD    := -std=c11 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
CFLAGS  ?= -O2 -g
LDFLAGS ?=
B       := build

ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
B       := build/sanitize
endif

# pkg-config runs lazily: before the dependencies exist, "make check" must
# still get as far as installing them.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = $(CSTD) $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Inflogd -MMD -MP

# Every module in nflogd/ but the programs' mains goes into libnflogd.a.
MAINS    := main nflogctl
LIB_SRCS := $(filter-out $(MAINS),$(basename $(notdir $(wildcard nflogd/*.c))))
O       = $(B)/obj
LIB_OBJS = $(LIB_SRCS:%=$(O)/nflogd/%.o)
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
TOOLS    := synflood

.PHONY: all deps check unit integration valgrind demo bench clean clang
# Keep the objects of pattern rules (test and tool objects) between runs.
.SECONDARY:

all: $(B)/nflogd $(B)/nflogctl $(TOOLS:%=$(B)/tools/%)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libnflogd.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(B)/nflogd: $(O)/nflogd/main.o $(B)/libnflogd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/nflogctl: $(O)/nflogd/nflogctl.o $(B)/libnflogd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/tools/%: $(O)/tests/tools/%.o $(B)/libnflogd.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(B)/tests/unit/%: $(O)/tests/unit/%.o $(B)/libnflogd.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(shell pkg-config --libs cmocka 2>/dev/null)

deps:
	@scripts/install-deps.sh

unit: $(UNIT_TESTS:%=$(B)/tests/unit/%)
	@tests/run-unit.sh $(B)/tests/unit $(UNIT_TESTS)

integration: all
	@tests/integration/run.sh $(B)

check: deps
	@$(MAKE) --no-print-directory all unit
	@$(MAKE) --no-print-directory integration

# The daemon under valgrind in the lab: the functional tests (timing ones
# cannot hold at valgrind's speed); any error or leak fails the test.
VALGRIND_TESTS := t_normal_host_not_blocked t_ctl_list_top_show t_ctl_block_unblock_and_errors \
	t_ctl_whitelist_edit t_table_restored_after_flush t_bad_reload_keeps_settings \
	t_on_block_program t_whitelist_reload_unblocks t_ctl_corrupt_state_moved_aside
valgrind: all
	@NFLOGD_WRAP="valgrind --leak-check=full" tests/integration/run.sh $(B) $(VALGRIND_TESTS)

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh $(B)

bench: deps
	@$(MAKE) --no-print-directory all
	@tests/bench/run.sh $(B)

# Both compilers must stay warning-free.
clang:
	@$(MAKE) --no-print-directory CC=clang B=build/clang CFLAGS="-O2 -g -Werror" all

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
