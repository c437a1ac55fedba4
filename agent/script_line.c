/* See agent/script_line.h. */
#include "agent/script_line.h"

#include <string.h>

#define WORD_MAX 64

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

/* q starts a command: at the line start, after ; & | ( { !, or after a
 * keyword (if, then, …), not an argument of echo and the like */
static int command_position(const char *line, const char *q)
{
	static const char *const kw[] = {"if", "then",	"else",	 "elif",
					 "do", "while", "until", "time"};
	const char *e = q, *b;
	size_t i;

	while (e > line && blank(e[-1]))
		e--;
	if (e == line || strchr(";&|({!", e[-1]))
		return 1;
	for (b = e; b > line && !blank(b[-1]) && !strchr(";&|({", b[-1]); b--)
		;
	for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if ((size_t)(e - b) == strlen(kw[i]) && strncmp(b, kw[i], (size_t)(e - b)) == 0)
			return 1;
	return 0;
}

/* Copy the word at p (up to a blank, ';', '&', '|', ')' or the line end). */
static const char *word(const char *p, const char *end, char *out)
{
	size_t n = 0;

	while (p < end && blank(*p))
		p++;
	while (p < end && !blank(*p) && !strchr(";&|)\n", *p) && n + 1 < WORD_MAX)
		out[n++] = *p++;
	out[n] = '\0';
	return p;
}

unsigned cli_script_line(const char *script, size_t len, const char *msg)
{
	const char *p = script, *end = script + len, *eol, *q;
	char verb[WORD_MAX], w[WORD_MAX], arg[WORD_MAX];
	unsigned line = 1, first = 0;
	size_t n = strcspn(msg, ": ");

	if (n == 0 || n >= WORD_MAX)
		return 0;
	memcpy(verb, msg, n);
	verb[n] = '\0';
	for (; p < end; p = eol + 1, line++) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		/* every "bootrino VERB" on the line (after ;, &&, if …) */
		for (q = p; q < eol; q++) {
			if ((q != p && !blank(q[-1]) && !strchr(";&|({", q[-1])) ||
			    strncmp(q, "bootrino", 8) != 0 || q + 8 >= eol || !blank(q[8]) ||
			    !command_position(p, q))
				continue;
			word(word(q + 8, eol, w), eol, arg);
			if (strcmp(w, verb) != 0)
				continue;
			if (!first)
				first = line;
			if (arg[0] && strstr(msg + n, arg))
				return line;
		}
		if (eol == end)
			break;
	}
	return first;
}
