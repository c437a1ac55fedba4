#include <archive.h>

#include "kexec/kexec.h"

const char *kexec_library_version(void)
{
	return archive_version_details();
}
