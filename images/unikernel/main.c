/* A freestanding multiboot (v1) unikernel for bootrino's demos and tests:
 * prints its marker and the command line it was given on COM1, then asks
 * QEMU to exit through isa-debug-exit (port 0xf4) and halts when no such
 * device exists (real hardware, another hypervisor). */
#include <stdint.h>

#define COM1 0x3f8
#define DEBUG_EXIT_PORT 0xf4
#define MULTIBOOT_LOADER_MAGIC 0x2BADB002u
#define MBI_FLAG_CMDLINE (1u << 2)
#define MBI_FLAG_MODS (1u << 3)

/* The part of the multiboot information structure this program reads. */
struct mb_info {
	uint32_t flags;
	uint32_t mem_lower;
	uint32_t mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count;
	uint32_t mods_addr;
};

struct mb_module {
	uint32_t mod_start;
	uint32_t mod_end;
	uint32_t string;
	uint32_t reserved;
};

void unikernel_main(uint32_t magic, const struct mb_info *mbi);

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void serial_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* DLAB on */
	outb(COM1 + 0, 0x01); /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0xC7); /* FIFO on, cleared */
	outb(COM1 + 4, 0x03); /* DTR + RTS */
}

static void putc_serial(char c)
{
	unsigned spins = 100000;

	/* Bounded: a missing UART must not hang the unikernel forever. */
	while (!(inb(COM1 + 5) & 0x20) && --spins)
		;
	outb(COM1, (uint8_t)c);
}

static void puts_serial(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			putc_serial('\r');
		putc_serial(*s);
	}
}

static void putu_serial(uint32_t v)
{
	char buf[11];
	int i = 10;

	buf[i] = '\0';
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i > 0);
	puts_serial(&buf[i]);
}

/* The multiboot information holds physical addresses; paging is off, so
 * they are usable as pointers as they are (hence the NOLINTs). */
void unikernel_main(uint32_t magic, const struct mb_info *mbi)
{
	serial_init();
	puts_serial("BOOTRINO-DEMO-UNIKERNEL-UP\n");
	if (magic != MULTIBOOT_LOADER_MAGIC) {
		puts_serial("unikernel: not started by a multiboot loader\n");
	} else {
		puts_serial("cmdline: [");
		if ((mbi->flags & MBI_FLAG_CMDLINE) && mbi->cmdline)
			puts_serial((const char *)(uintptr_t)
					mbi->cmdline); // NOLINT(performance-no-int-to-ptr)
		puts_serial("]\n");
		if (mbi->flags & MBI_FLAG_MODS) {
			const struct mb_module *m =
			    (const struct mb_module *)(uintptr_t)
				mbi->mods_addr; // NOLINT(performance-no-int-to-ptr)
			uint32_t i;

			puts_serial("modules: ");
			putu_serial(mbi->mods_count);
			puts_serial("\n");
			for (i = 0; i < mbi->mods_count && i < 16; i++) {
				puts_serial("module: ");
				putu_serial(m[i].mod_end - m[i].mod_start);
				puts_serial(" bytes [");
				if (m[i].string)
					puts_serial(
					    (const char *)(uintptr_t)m[i]
						.string); // NOLINT(performance-no-int-to-ptr)
				puts_serial("]\n");
			}
		}
	}
	puts_serial("BOOTRINO-DEMO-UNIKERNEL-DONE\n");
	/* QEMU exits with status (0x10 << 1) | 1 = 33 ("the unikernel ran");
	 * without the device the write is ignored and we halt. */
	outb(DEBUG_EXIT_PORT, 0x10);
}
