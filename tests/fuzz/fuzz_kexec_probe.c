/* libFuzzer: the kexec image probes (bzImage setup header, multiboot
 * header search, initrd magic) on arbitrary bytes. The first 8 bytes of
 * the input choose the "file size" the probes compare against, so
 * truncation checks see sizes both smaller and larger than the buffer. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kexec/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kexec_bzimage bz;
	struct kexec_multiboot mb;
	uint64_t file_size = 0;

	if (size < sizeof(file_size))
		return 0;
	memcpy(&file_size, data, sizeof(file_size));
	data += sizeof(file_size);
	size -= sizeof(file_size);
	file_size %= (uint64_t)size * 2 + 1;
	(void)kexec_probe_bzimage(data, size, file_size, &bz);
	(void)kexec_probe_multiboot(data, size, file_size, &mb);
	(void)kexec_probe_initrd(data, size);
	(void)kexec_probe_guess(data, size);
	return 0;
}
