# Images: build/images/{loader,tinylinux,unikernel}, from Debian packages,
# without root (apt-get download, dpkg-deb -x, cpio --owner 0:0). Included
# by the Makefile; the static agent and kexec come from mk/static.mk.
# See docs/images.md.
#
#   build/images/debs/       apt-get download cache (a rerun downloads nothing)
#   build/images/root/       the packages unpacked (kernel, busybox, ca)
#   build/images/loader/     vmlinuz, initrd.img  (bootrino as /init)
#   build/images/tinylinux/  vmlinuz, initrd.img  (demo: DHCP + httpd)
#   build/images/unikernel/  unikernel.elf        (demo: multiboot v1)
#   build/images/bootdisk/   bootdisk.img.zst     (the loader on a GPT disk:
#                            BIOS + UEFI; what takeover installs, docs/disk.md)
#
# Always under build/ (not $(BUILD)), like build/static: one copy of the
# ~30 MB of packages, shared by every build directory.

IMG := build/images
IMG_ROOTS := $(IMG)/root
IMG_ROOTS_STAMP := $(IMG_ROOTS)/.stamp
IMG_LIB := images/lib/stage.sh images/lib/udhcpc.script images/lib/net-apply.sh images/modules-resolve.py
# zstd -19: 3.2 MiB for the loader's initrd against 4.4 MiB with gzip -9,
# and it unpacks faster at boot (measured, docs/images.md).
IMAGES_COMPRESS ?= zstd
# The demo page and marker name this; `make images TINYLINUX_VERSION=v2`
# rebuilds tinylinux (tests build other versions with images/tinylinux/build.sh).
TINYLINUX_VERSION ?= v1

.PHONY: images images-clean

images: $(IMG)/loader/.built $(IMG)/tinylinux/.built $(IMG)/unikernel/unikernel.elf \
		$(IMG)/bootdisk/.built
	@printf 'images: %s\n' \
		"loader/vmlinuz $$(stat -c %s $(IMG)/loader/vmlinuz) bytes" \
		"loader/initrd.img $$(stat -c %s $(IMG)/loader/initrd.img) bytes" \
		"tinylinux/initrd.img $$(stat -c %s $(IMG)/tinylinux/initrd.img) bytes ($$(cat $(IMG)/tinylinux/.version))" \
		"unikernel/unikernel.elf $$(stat -c %s $(IMG)/unikernel/unikernel.elf) bytes" \
		"bootdisk/bootdisk.img.zst $$(stat -c %s $(IMG)/bootdisk/bootdisk.img.zst) bytes ($$(cat $(IMG)/bootdisk/bootdisk.img.size) unpacked)"

$(IMG_ROOTS_STAMP): images/fetch-debs.sh | $(SETUP_IMAGES)
	images/fetch-debs.sh $(IMG)
	@touch $@

$(IMG)/loader/.built: $(IMG_ROOTS_STAMP) build/static/bootrino build/static/kexec \
		images/loader/build.sh $(IMG_LIB)
	COMPRESS=$(IMAGES_COMPRESS) images/loader/build.sh $(IMG)/loader $(IMG_ROOTS) \
		build/static/bootrino build/static/kexec
	@touch $@

# No root: sfdisk on a file, mkfs.vfat + mtools, mkfs.ext4 -d, syslinux
# --offset, grub-mkstandalone (docs/disk.md).
$(IMG)/bootdisk/.built: $(IMG)/loader/.built images/bootdisk/build.sh
	images/bootdisk/build.sh $(IMG)/bootdisk $(IMG)/loader
	@touch $@

# The version stamp changes (at parse time) only when TINYLINUX_VERSION does.
$(shell mkdir -p $(IMG)/tinylinux && { echo '$(TINYLINUX_VERSION)' | \
	cmp -s - $(IMG)/tinylinux/.version || echo '$(TINYLINUX_VERSION)' > $(IMG)/tinylinux/.version; })

$(IMG)/tinylinux/.built: $(IMG_ROOTS_STAMP) $(IMG)/tinylinux/.version images/tinylinux/build.sh \
		images/tinylinux/init images/tinylinux/index.html $(IMG_LIB)
	COMPRESS=$(IMAGES_COMPRESS) images/tinylinux/build.sh $(IMG)/tinylinux $(IMG_ROOTS) \
		$(TINYLINUX_VERSION)
	@touch $@

# 32-bit freestanding code: gcc -m32 needs no multilib when nothing from
# libc is included (stdint.h is the compiler's own).
UK_CFLAGS := -m32 -march=i686 -ffreestanding -nostdlib -fno-pic -fno-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -mno-sse -mno-mmx -O2 -std=c11 $(WARN)
UK_OBJ := $(IMG)/unikernel/obj/entry.o $(IMG)/unikernel/obj/main.o

$(IMG)/unikernel/obj/%.o: images/unikernel/%.c
	@mkdir -p $(dir $@)
	$(CC) $(UK_CFLAGS) -c $< -o $@
$(IMG)/unikernel/obj/%.o: images/unikernel/%.S
	@mkdir -p $(dir $@)
	$(CC) $(UK_CFLAGS) -c $< -o $@

$(IMG)/unikernel/unikernel.elf: $(UK_OBJ) images/unikernel/linker.ld
	ld -m elf_i386 -T images/unikernel/linker.ld -nostdlib -o $@.tmp $(UK_OBJ)
	@mv $@.tmp $@

# Keeps the download cache (build/images/debs).
images-clean:
	rm -rf $(IMG)/root $(IMG)/loader $(IMG)/tinylinux $(IMG)/unikernel $(IMG)/bootdisk
