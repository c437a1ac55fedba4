# Static build: build/static/bootrino + build/static/kexec (no runtime deps).
# Included by the Makefile (MODULES, AGENT_SRC, WARN, CPPFLAGS, VERSION,
# SETUP_IMAGES come from there). See docs/static-build.md.
#
# Always under build/ (not $(BUILD)): the images and e2e tests consume
# build/static/. The sources are the dynamic build's, found by wildcard, so
# a new .c file in a module or in agent/ is picked up without edits here.
#
#   build/deps/          libcurl, libarchive, cJSON, kexec-tools built from
#                        Debian source packages (scripts/build-static-deps.sh)
#   build/static/obj/    objects
#   build/static/bootrino.debug   unstripped (symbols for gdb / addr2line)
#   build/static/bootrino         stripped: what images/ and publish ship
#   build/static/kexec            static kexec-tools (stripped)

S_DIR    := build/static
S_DEPS   := build/deps
S_PREFIX := $(S_DEPS)/prefix
S_STAMP  := $(S_DEPS)/.stamp
S_SYSLIB := /usr/lib/$(shell gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)

# Compile flags of the dynamic build minus PIE (a non-PIE static binary is
# what `file` calls "statically linked"); our dependency headers first.
# -ffunction/-fdata-sections + --gc-sections drop what bootrino never calls.
S_CPPFLAGS := -I$(S_PREFIX)/include $(CPPFLAGS) -D_FORTIFY_SOURCE=2
S_CFLAGS   := -std=c11 $(WARN) -O2 -g -pipe -fstack-protector-strong -fno-pie \
	-ffunction-sections -fdata-sections
S_LDFLAGS  := -static -no-pie -Wl,--gc-sections -Wl,-z,relro,-z,now -Wl,-z,noexecstack
# Order matters for static archives: users before the libraries they need.
# They are prerequisites of the link too: a Debian security update of
# libssl-dev (or a rebuilt dependency) relinks the agent.
S_LIB_FILES := $(S_PREFIX)/lib/libcurl.a $(S_PREFIX)/lib/libarchive.a $(S_PREFIX)/lib/libcjson.a \
	$(S_SYSLIB)/libssl.a $(S_SYSLIB)/libcrypto.a \
	$(S_SYSLIB)/libzstd.a $(S_SYSLIB)/liblzma.a $(S_SYSLIB)/libz.a
S_LIBS := $(S_LIB_FILES) -pthread

s_obj = $(patsubst %.c,$(S_DIR)/obj/%.o,$(1))
S_AGENT_OBJ   := $(call s_obj,$(AGENT_SRC))
S_MODULE_LIBS := $(S_DIR)/lib/libdoc.a $(foreach m,$(MODULES),$(S_DIR)/lib/lib$(m).a)

.PHONY: static static-deps

static: $(S_DIR)/bootrino $(S_DIR)/kexec

# Everyone shares build/static (helpers, test suites, `make images`), so
# every file here is written under a temporary name and renamed into place:
# a concurrent make may redo some work but never reads a half-written
# object. (build-static-deps.sh takes a lock of its own.)
S_TMP = $@.$$$$.tmp

# The script skips every dependency whose stamp is current, so rerunning
# it after an edit to the script only rebuilds what the edit touched.
$(S_STAMP): scripts/build-static-deps.sh | $(SETUP_IMAGES)
	scripts/build-static-deps.sh $(S_DEPS)
	@touch $@
static-deps: $(S_STAMP)

# Headers come from build/deps: objects wait for it (order-only; the .d
# files make them depend on the headers they actually include).
$(S_DIR)/obj/%.o: %.c | $(S_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(S_CPPFLAGS) $(S_CFLAGS) -MMD -MP -MF $(@:.o=.d) -MT $@ -c $< -o $(S_TMP) && mv -f $(S_TMP) $@

# The version stamp is rewritten (at parse time, not through a FORCE rule)
# only when `git describe` changes, so `make -q static` can report
# "up to date" and only cmd_version.o depends on the version.
S_VERSION_STAMP := $(S_DIR)/.version
$(shell mkdir -p $(S_DIR) && { echo '$(VERSION)' | cmp -s - $(S_VERSION_STAMP) || \
	echo '$(VERSION)' > $(S_VERSION_STAMP); })
$(S_DIR)/obj/agent/cmd_version.o: S_CPPFLAGS += -DBOOTRINO_VERSION='"$(VERSION)"'
$(S_DIR)/obj/agent/cmd_version.o: $(S_VERSION_STAMP)

define s_module_lib
$(S_DIR)/lib/lib$(1).a: $(call s_obj,$(wildcard $(1)/*.c))
	@mkdir -p $$(dir $$@)
	ar rcs $$(S_TMP) $$^ && mv -f $$(S_TMP) $$@
endef
$(foreach m,$(MODULES),$(eval $(call s_module_lib,$(m))))
$(S_DIR)/lib/libdoc.a: $(call s_obj,$(wildcard agent/doc/*.c))
	@mkdir -p $(dir $@)
	ar rcs $(S_TMP) $^ && mv -f $(S_TMP) $@

# Linked like the dynamic binary (agent objects directly, modules as
# archives). glibc warns that getaddrinfo in a static binary wants NSS
# modules at run time; since glibc 2.34 dns/files are built in, so name
# resolution works without them. That link warning is expected.
$(S_DIR)/bootrino.debug: $(S_AGENT_OBJ) $(S_MODULE_LIBS) $(S_LIB_FILES)
	$(CC) $(S_LDFLAGS) -o $(S_TMP) $(S_AGENT_OBJ) -Wl,--start-group $(S_MODULE_LIBS) \
		-Wl,--end-group $(S_LIBS) && mv -f $(S_TMP) $@

$(S_DIR)/bootrino: $(S_DIR)/bootrino.debug
	strip --strip-all -o $(S_TMP) $< && mv -f $(S_TMP) $@
	@echo "static: $@: $$(stat -c %s $@) bytes stripped"

# What the script installs: it leaves a file's mtime alone when its content
# did not change, so only a real change relinks. Order-only: the stamp is
# newer than files the script left alone, which must not count as a change.
$(filter $(S_PREFIX)/%,$(S_LIB_FILES)) $(S_PREFIX)/sbin/kexec: | $(S_STAMP)

$(S_DIR)/kexec: $(S_PREFIX)/sbin/kexec
	@mkdir -p $(dir $@)
	cp $< $(S_TMP) && mv -f $(S_TMP) $@

-include $(shell find $(S_DIR)/obj -name '*.d' 2>/dev/null)
