#include "cloudinit/text.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

/* One UTF-8 sequence at s (at most n bytes): its code point and length,
 * or 0 for anything RFC 3629 forbids (overlong forms, surrogates, past
 * U+10FFFF, truncated sequences). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Code points a fact must not hold although they are valid text: C0/C1
 * controls and DEL; U+2028/U+2029, which JavaScript and YAML read as line
 * breaks; the bidirectional controls (U+202E and friends, "Trojan
 * Source"), which make a value display as something else. */
static int cp_refused(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 || c == 0x200e ||
	       c == 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0x061c;
}

int cloud_text_valid(const char *s, size_t maxlen)
{
	size_t i = 0, n, step;
	uint32_t c;

	if (!s)
		return 0;
	n = strnlen(s, maxlen + 1);
	if (n == 0 || n > maxlen)
		return 0;
	while (i < n) {
		step = utf8_next((const unsigned char *)s + i, n - i, &c);
		if (!step || cp_refused(c))
			return 0;
		i += step;
	}
	return 1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cloud_json_prescan(const char *what, const char *buf, size_t len)
{
	size_t i = 0, step;
	int in_str = 0;
	uint32_t c;

	while (i < len) {
		step = utf8_next((const unsigned char *)buf + i, len - i, &c);
		if (!step)
			return br_fail(-BR_EMALFORMED, "%s: invalid UTF-8 at byte %zu", what, i);
		if (c == '"') {
			in_str = !in_str;
		} else if (in_str && c == '\\' && i + 1 < len) {
			if (buf[i + 1] == 'u' && i + 5 < len) {
				int v = 0, k, h;

				for (k = 2; k < 6; k++) {
					h = hexval(buf[i + k]);
					if (h < 0)
						break;
					v = v << 4 | h;
				}
				/* cJSON ends the C string at the NUL: the rest of
				 * the value would vanish without a word */
				if (k == 6 && v == 0)
					return br_fail(-BR_EMALFORMED,
						       "%s: a \\u0000 escape (it would truncate a "
						       "value)",
						       what);
			}
			step = 2; /* skip the escaped character (\" \\ …) */
		}
		i += step;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int object_dups(const char *what, const cJSON *node)
{
	const cJSON *it;
	const char **names;
	size_t n = 0, i;
	int rc = 0;

	cJSON_ArrayForEach(it, node) n++;
	if (n < 2)
		return 0;
	names = malloc(n * sizeof(*names));
	if (!names)
		return -ENOMEM;
	i = 0;
	cJSON_ArrayForEach(it, node) names[i++] = it->string ? it->string : "";
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 1; i < n && !rc; i++)
		if (strcmp(names[i - 1], names[i]) == 0)
			rc = br_fail(-BR_EMALFORMED, "%s: duplicate key \"%.64s\"", what, names[i]);
	free(names);
	return rc;
}

/* Every object of the tree, with an explicit stack (no recursion: the
 * depth is the document's). */
int cloud_json_check_dups(const char *what, const cJSON *root)
{
	const cJSON **stack, **bigger, *node, *it;
	size_t n = 0, cap = 64;
	int rc = 0;

	stack = malloc(cap * sizeof(const cJSON *));
	if (!stack)
		return -ENOMEM;
	stack[n++] = root;
	while (n && !rc) {
		node = stack[--n];
		if (cJSON_IsObject(node))
			rc = object_dups(what, node);
		cJSON_ArrayForEach(it, node)
		{
			if (!cJSON_IsObject(it) && !cJSON_IsArray(it))
				continue;
			if (n == cap) {
				bigger = realloc(stack, 2 * cap * sizeof(const cJSON *));
				if (!bigger) {
					rc = -ENOMEM;
					break;
				}
				stack = bigger;
				cap *= 2;
			}
			stack[n++] = it;
		}
	}
	free(stack);
	return rc;
}
