/* Small checks shared inside cloudinit/ (not part of its API). */
#ifndef BOOTRINO_CLOUDINIT_TEXT_H
#define BOOTRINO_CLOUDINIT_TEXT_H

#include <stddef.h>

/* 1 when s is 1..maxlen bytes with no control characters (facts land in
 * files and shell environments of the target). */
int cloud_text_valid(const char *s, size_t maxlen);

#endif
