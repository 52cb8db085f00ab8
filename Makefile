# nflogd — block LAN hosts that spam, with NFLOG and nftables.
#   make              build nflogd into build/
#   sudo make check   install what is missing, build, run unit + integration tests
#   sudo make check COMPAT=el7   the same with every CentOS/ClearOS 7 fallback
#   sudo make demo    a namespace lab where a spam bot gets blocked
#   sudo make bench   benchmarks (not part of check)

CC      ?= cc
PKGS    := libmnl libnetfilter_log libnftnl
CSTD    := -std=c11 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
CFLAGS  ?= -O2 -g
LDFLAGS ?=
B       := build
# "make" alone builds the programs (the configure rules below come first).
.DEFAULT_GOAL := all

ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
B       := build/sanitize
endif

# make COMPAT=el7: every fallback a CentOS/ClearOS 7 build takes (see
# scripts/configure.sh and nflogd/compat/), in its own build folder.
ifneq ($(COMPAT),)
B       := $(B)/$(COMPAT)
endif

# Link-time optimisation with gcc: an event's path crosses a dozen small
# modules (intake, packet, whitelist, tracker, policy), and inlining across
# them takes the calls, and what they keep from the optimiser, off every
# event. Fat objects: the unit tests link the same archive without it.
# "make LTO=" turns it off (or LTO=... sets other flags to try); sanitizer
# builds and other compilers go without; an LTO variable in the environment
# is not taken. scripts/configure.sh drops flags the compiler does not take
# (gcc < 10 has no -flto=auto, gcc < 4.9 no -ffat-lto-objects).
CC_IS_GCC := $(shell $(CC) --version 2>/dev/null | grep -q 'Free Software Foundation' && echo 1)
ifeq ($(origin LTO),command line)
LTO_WANTED := $(LTO)
else
LTO_WANTED := $(if $(filter 1,$(SANITIZE)),,$(if $(filter 1,$(CC_IS_GCC)),-flto=auto -ffat-lto-objects))
endif

# What the machine has, probed by scripts/configure.sh into $(B)/config.h
# (forced into every object) and $(B)/config.mk. It runs again when the
# compiler, flags, COMPAT or a library version changes. Not for the goals
# that only install or clean (the libraries may not be there yet).
NOCONF_GOALS := clean deps fuzz check demo bench clang uninstall
ifneq ($(or $(filter-out $(NOCONF_GOALS),$(MAKECMDGOALS)),$(if $(MAKECMDGOALS),,all)),)
CONF_IN = $(CC)|$(CFLAGS)|$(COMPAT)|$(LTO_WANTED)|$(shell pkg-config --modversion $(PKGS) 2>/dev/null | tr '\n' ' ')
$(B)/config.in: FORCE
	@mkdir -p $(B)
	@echo '$(CONF_IN)' | cmp -s - $@ || echo '$(CONF_IN)' >$@
$(B)/config.mk: $(B)/config.in scripts/configure.sh
	@CC='$(CC)' CFLAGS='$(CFLAGS)' COMPAT='$(COMPAT)' LTO_WANTED='$(LTO_WANTED)' \
		scripts/configure.sh $(B)
include $(B)/config.mk
endif
LTO_FLAGS := $(CONF_LTO)
ifneq ($(and $(strip $(LTO_FLAGS)),$(filter 1,$(CC_IS_GCC))),)
AR      := gcc-ar
endif

# pkg-config runs lazily: before the dependencies exist, "make check" must
# still get as far as installing them.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = $(CSTD) $(WARN) $(CFLAGS) $(LTO_FLAGS) $(PKG_CFLAGS) -include $(B)/config.h -Inflogd -MMD -MP

# Every module in nflogd/ but the programs' mains goes into libnflogd.a,
# with the shims of nflogd/compat/ (unused ones cost a few bytes).
MAINS    := main nflogctl
LIB_SRCS := $(filter-out $(MAINS:%=nflogd/%.c),$(wildcard nflogd/*.c nflogd/compat/*.c))
O       = $(B)/obj
LIB_OBJS = $(LIB_SRCS:%.c=$(O)/%.o)
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
TOOLS    := synflood

.PHONY: all deps check unit integration deploy valgrind fuzz demo bench install uninstall clean clang FORCE
# make install [DESTDIR=...] [PREFIX=/usr] [sysconfdir=/etc] [CLEAROS=1]
PREFIX     ?= /usr
sysconfdir ?= /etc
INSTALL    ?= install
SBINDIR     = $(DESTDIR)$(PREFIX)/sbin
BINDIR      = $(DESTDIR)$(PREFIX)/bin
MANDIR      = $(DESTDIR)$(PREFIX)/share/man
UNITDIR     = $(DESTDIR)$(PREFIX)/lib/systemd/system
TMPFILESDIR = $(DESTDIR)$(PREFIX)/lib/tmpfiles.d
COMPLDIR    = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
CONFDIR     = $(DESTDIR)$(sysconfdir)/nflogd
CLEAROSDIR  = $(DESTDIR)$(sysconfdir)/clearos/firewall.d

# Keep the objects of pattern rules (test and tool objects) between runs.
.SECONDARY:

all: $(B)/nflogd $(B)/nflogctl $(TOOLS:%=$(B)/tools/%)

# Objects depend on the flags they were built with: another LTO, CFLAGS or
# compiler rebuilds them, rather than mixing builds in one archive.
$(O)/flags: FORCE
	@mkdir -p $(O)
	@echo '$(CC) $(ALL_CFLAGS)' | cmp -s - $@ || echo '$(CC) $(ALL_CFLAGS)' >$@
FORCE:

$(O)/%.o: %.c $(O)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libnflogd.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(B)/nflogd: $(O)/nflogd/main.o $(B)/libnflogd.a
	$(CC) $(CFLAGS) $(LTO_FLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/nflogctl: $(O)/nflogd/nflogctl.o $(B)/libnflogd.a
	$(CC) $(CFLAGS) $(LTO_FLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/tools/%: $(O)/tests/tools/%.o $(B)/libnflogd.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LTO_FLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(B)/tests/unit/%: $(O)/tests/unit/%.o $(B)/libnflogd.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(shell pkg-config --libs cmocka 2>/dev/null)

deps:
	@scripts/install-deps.sh

unit: $(UNIT_TESTS:%=$(B)/tests/unit/%)
	@tests/run-unit.sh $(B)/tests/unit $(UNIT_TESTS)

integration: all
	@tests/integration/run.sh $(B)

# Deployment: make install into a DESTDIR, the installed programs run in
# the lab; the ClearOS firewall snippet sourced in a lab gateway.
deploy: all
	@tests/deploy/run.sh $(B)

check: deps
	@$(MAKE) --no-print-directory all unit
	@$(MAKE) --no-print-directory integration deploy

# The daemon under valgrind in the lab: the functional tests (timing ones
# cannot hold at valgrind's speed); any error or leak fails the test.
VALGRIND_TESTS := t_normal_host_not_blocked t_ctl_list_top_show t_ctl_block_unblock_and_errors \
	t_ctl_whitelist_edit t_table_restored_after_flush t_bad_reload_keeps_settings \
	t_on_block_program t_whitelist_reload_unblocks t_ctl_corrupt_state_moved_aside
valgrind: all
	@NFLOGD_WRAP="valgrind --leak-check=full" tests/integration/run.sh $(B) $(VALGRIND_TESTS)

# libFuzzer targets (clang, ASan + UBSan), FUZZ_SECONDS each; saved crashes
# in tests/fuzz/crashes replay first. Not part of check.
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/install-deps.sh libclang-rt-14-dev
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh $(B)

bench: deps
	@$(MAKE) --no-print-directory all
	@LTO="$$(sed -n 's/^CONF_LTO := //p' $(B)/config.mk)" tests/bench/run.sh $(B)

# Both compilers must stay warning-free.
clang:
	@$(MAKE) --no-print-directory CC=clang B=build/clang CFLAGS="-O2 -g -Werror" LTO= all

install: $(B)/nflogd $(B)/nflogctl
	$(INSTALL) -d $(SBINDIR) $(BINDIR) $(MANDIR)/man5 $(MANDIR)/man8 $(UNITDIR) \
		$(TMPFILESDIR) $(COMPLDIR) $(CONFDIR)
	$(INSTALL) -m 0755 $(B)/nflogd $(SBINDIR)/nflogd
	$(INSTALL) -m 0755 $(B)/nflogctl $(BINDIR)/nflogctl
	$(INSTALL) -m 0644 man/nflogd.8 man/nflogctl.8 $(MANDIR)/man8/
	$(INSTALL) -m 0644 man/nflogd.conf.5 $(MANDIR)/man5/
	sed 's|/usr/sbin/nflogd|$(PREFIX)/sbin/nflogd|' etc/nflogd.service >$(UNITDIR)/nflogd.service
	chmod 0644 $(UNITDIR)/nflogd.service
	$(INSTALL) -m 0644 etc/nflogd.tmpfiles $(TMPFILESDIR)/nflogd.conf
	$(INSTALL) -m 0644 etc/nflogctl.bash-completion $(COMPLDIR)/nflogctl
	# An administrator's config and whitelist are never overwritten.
	[ -e $(CONFDIR)/nflogd.conf ] || $(INSTALL) -m 0644 etc/nflogd.conf $(CONFDIR)/nflogd.conf
	[ -e $(CONFDIR)/whitelist ] || $(INSTALL) -m 0644 etc/whitelist $(CONFDIR)/whitelist
ifeq ($(CLEAROS),1)
	$(INSTALL) -d $(CLEAROSDIR)
	$(INSTALL) -m 0755 rules/90-nflogd $(CLEAROSDIR)/90-nflogd
endif

# Leaves the config and whitelist: they are the administrator's.
uninstall:
	rm -f $(SBINDIR)/nflogd $(BINDIR)/nflogctl $(MANDIR)/man8/nflogd.8 \
		$(MANDIR)/man8/nflogctl.8 $(MANDIR)/man5/nflogd.conf.5 \
		$(UNITDIR)/nflogd.service $(TMPFILESDIR)/nflogd.conf $(COMPLDIR)/nflogctl \
		$(CLEAROSDIR)/90-nflogd

# Not into other file systems: a Debian 11 root (tests/platform/debian11.sh)
# has /dev, /proc and /sys mounted while it runs.
clean:
	rm -rf --one-file-system build

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
