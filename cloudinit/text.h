/* Small checks shared inside cloudinit/ (not part of its API). */
#ifndef BOOTRINO_CLOUDINIT_TEXT_H
#define BOOTRINO_CLOUDINIT_TEXT_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* 1 when s is 1..maxlen bytes of valid UTF-8 with no control characters
 * (C0, DEL, C1), no U+2028/U+2029 and no bidirectional controls (U+202E…):
 * facts land in files, shell environments and consoles of the target. */
int cloud_text_valid(const char *s, size_t maxlen);

/* Before cJSON sees a document: the whole text must be valid UTF-8 and no
 * string may hold a \u0000 escape (cJSON would silently cut the value
 * there). 0 or -BR_EMALFORMED with a detail naming `what`. */
int cloud_json_prescan(const char *what, const char *buf, size_t len);

/* After parsing: no object, at any depth, has a key twice (cJSON keeps
 * both and the first wins, another parser may take the last).
 * 0 or -BR_EMALFORMED. */
int cloud_json_check_dups(const char *what, const cJSON *root);

#endif
