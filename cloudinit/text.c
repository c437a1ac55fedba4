#include "cloudinit/text.h"

int cloud_text_valid(const char *s, size_t maxlen)
{
	size_t i;

	if (!s)
		return 0;
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || i >= maxlen)
			return 0;
	return i > 0;
}
