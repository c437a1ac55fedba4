# bootrino — build, test, demo.
#
#   make            build/bootrino (dynamic, for development)
#   make static     build/static/bootrino + build/static/kexec (no runtime deps)
#   make images     build/images/{loader,tinylinux,unikernel}
#   make check      every test suite; ends with "N passed, N failed"
#   make demo       the main journey in QEMU on built-in defaults
#   make asan fuzz tidy bench format
#
# Module layout: every directory in MODULES is one static library;
# agent/doc/ (the document layer: plan, config, loader.json parsers) is
# one too, and its build fails if it includes an agent/ header outside
# agent/doc/ (it never sees the CLI); the rest of agent/ is linked
# directly (its commands register through a linker section, see
# agent/cli.h).

BUILD   ?= build
export BUILD
CC      ?= cc
BASE_VERSION := 0.1.0
VERSION := $(BASE_VERSION)$(shell git describe --always --dirty --exclude '*' 2>/dev/null | sed 's/^/+g/')

MODULES := common verify fetch kexec disk cloudinit
PKGS    := libcurl openssl libarchive libcjson

# scripts/setup.sh installs Debian packages by set (see its header): `make`
# needs only the build set; images, demo and the test suites ask for theirs.
SETUP_SUM    := $(shell cksum < scripts/setup.sh | cut -d' ' -f1)
SETUP_STAMP  := build/.setup-build-$(SETUP_SUM)
SETUP_IMAGES := build/.setup-images-$(SETUP_SUM)
SETUP_DEMO   := build/.setup-demo-$(SETUP_SUM)
SETUP_TEST   := build/.setup-test-$(SETUP_SUM)

WARN     := -Wall -Wextra -Wshadow -Wformat=2 -Werror
HARDEN   := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
CPPFLAGS += -I. -D_GNU_SOURCE
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 $(WARN) -pipe

ifeq ($(SAN),1)
# Sanitizers want no fortify (it hides overflows from ASan) and no PIE games.
CFLAGS  += -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
else
CFLAGS  += $(HARDEN)
LDFLAGS += -pie -Wl,-z,relro,-z,now
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

AGENT_SRC  := $(wildcard agent/*.c)
AGENT_OBJ  := $(call obj,$(AGENT_SRC))
AGENT_LIB_OBJ := $(filter-out $(BUILD)/obj/agent/main.o,$(AGENT_OBJ))
MODULE_LIBS := $(BUILD)/lib/libdoc.a $(foreach m,$(MODULES),$(BUILD)/lib/lib$(m).a)
LINK_MODULES := -Wl,--start-group $(MODULE_LIBS) -Wl,--end-group

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

.PHONY: all setup static images check unit unit-run asan integration e2e fuzz fuzz-run \
	tidy format bench demo clean distclean
.DEFAULT_GOAL := all
.SECONDARY:

all: $(SETUP_STAMP) $(BUILD)/bootrino

# Installs a set of packages once per version of scripts/setup.sh.
build/.setup-%-$(SETUP_SUM): scripts/setup.sh
	@mkdir -p build
	scripts/setup.sh $*
	@rm -f build/.setup-$*-*; touch $@
setup: $(SETUP_TEST)

$(BUILD)/obj/%.o: %.c $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# Only the version command carries the version string, and it is rebuilt
# when `git describe` changes (the stamp is rewritten only then).
VERSION_STAMP := $(BUILD)/.version
$(VERSION_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
$(BUILD)/obj/agent/cmd_version.o: CPPFLAGS += -DBOOTRINO_VERSION='"$(VERSION)"'
$(BUILD)/obj/agent/cmd_version.o: $(VERSION_STAMP)
.PHONY: FORCE
FORCE:

define module_lib
$(BUILD)/lib/lib$(1).a: $(call obj,$(wildcard $(1)/*.c))
	@mkdir -p $$(dir $$@)
	rm -f $$@; ar rcs $$@ $$^
endef
$(foreach m,$(MODULES),$(eval $(call module_lib,$(m))))

DOC_OBJ := $(call obj,$(wildcard agent/doc/*.c))
$(BUILD)/lib/libdoc.a: $(DOC_OBJ)
	@mkdir -p $(dir $@)
	@if grep -H 'agent/[a-z_]*\.h' $(DOC_OBJ:.o=.d); then \
		echo "agent/doc/ must not include the CLI (agent/*.h)" >&2; exit 1; fi
	rm -f $@; ar rcs $@ $^

$(BUILD)/bootrino: $(AGENT_OBJ) $(MODULE_LIBS)
	$(CC) $(LDFLAGS) -o $@ $(AGENT_OBJ) $(LINK_MODULES) $(PKG_LIBS)

# --- unit tests (cmocka, one binary per module) ---------------------------
$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(AGENT_LIB_OBJ) $(MODULE_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(AGENT_LIB_OBJ) $(LINK_MODULES) $(PKG_LIBS) -lcmocka

$(call obj,$(UNIT_SRC)): $(SETUP_TEST)
unit: $(UNIT_BINS) $(BUILD)/bootrino
UNIT_SUITE ?= unit
unit-run: unit
	tests/run.sh $(UNIT_SUITE) $(UNIT_BINS)

# The unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
asan:
	$(MAKE) BUILD=$(BUILD)/asan SAN=1 UNIT_SUITE=asan unit-run

-include mk/*.mk
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# --- everything -------------------------------------------------------------
# tests/check.sh runs every suite (tests/run.sh prints TAP per test) and
# adds them up.
check: $(SETUP_TEST)
	tests/check.sh

tidy: $(SETUP_TEST)
	scripts/tidy.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)/obj $(BUILD)/lib $(BUILD)/tests $(BUILD)/bootrino $(BUILD)/asan $(BUILD)/fuzz

distclean:
	rm -rf build

# --- the main journey, on built-in defaults ----------------------------------
demo: $(SETUP_DEMO) all static images
	scripts/demo.sh
