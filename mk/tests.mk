# Integration, e2e, fuzz and bench suites. Included by the Makefile.

INTEGRATION_TESTS := $(sort $(wildcard tests/integration/test_*.sh))
E2E_TESTS := $(sort $(wildcard tests/e2e/test_*.sh))

integration: $(SETUP_TEST) all
	tests/run.sh integration $(INTEGRATION_TESTS)

# e2e needs the static agent and the images; mk/static.mk and mk/images.mk
# provide those targets.
e2e: $(SETUP_TEST) all static images
	tests/run.sh e2e $(E2E_TESTS)

# --- libFuzzer (clang) ------------------------------------------------------
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
FUZZ_LIB_SRC := $(foreach m,$(MODULES) agent/doc,$(wildcard $(m)/*.c)) $(filter-out agent/main.c,$(AGENT_SRC))
FUZZ_LIB_OBJ := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(FUZZ_LIB_SRC))
FUZZ_CFLAGS := -g -O1 -std=c11 -I. -D_GNU_SOURCE -Wall -Wextra -Werror \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-DBOOTRINO_FUZZING

$(BUILD)/fuzz/obj/%.o: %.c $(SETUP_TEST)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	clang -fsanitize=fuzzer,address,undefined -o $@ $^ $(PKG_LIBS)

fuzz: $(FUZZ_BINS)

# Replays each seed corpus, then fuzzes each target for FUZZ_SECONDS.
FUZZ_SECONDS ?= 15
fuzz-run: fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run.sh fuzz tests/fuzz/run-one.sh

-include $(shell find $(BUILD)/fuzz/obj -name '*.d' 2>/dev/null)

# --- benchmarks ---------------------------------------------------------------
bench: $(SETUP_TEST) all
	bench/run.sh
