/* tests/fuzz/common.c: helpers shared by the fuzz targets (linked into both the libFuzzer and the replay builds). */
#include "fuzz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	fputs("fuzz: invariant broken: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

size_t fuzz_line_count(const char *text, size_t len)
{
	size_t lines = 1;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
			i++;
		else if (text[i] != '\n' && text[i] != '\r')
			continue;
		lines++;
	}
	return lines;
}

size_t fuzz_line_chars(const char *text, size_t len, size_t line)
{
	size_t i = 0, n = 1, chars = 0;
	while (n < line && i < len) {
		if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
			i++;
		if (text[i] == '\n' || text[i] == '\r')
			n++;
		i++;
	}
	for (; i < len && text[i] != '\n' && text[i] != '\r'; i++)
		if (((unsigned char)text[i] & 0xC0) != 0x80)
			chars++;
	return chars;
}

size_t fuzz_message_line(const char *msg, const char *name)
{
	size_t n = strlen(name), line = 0;
	const char *p;
	if (strncmp(msg, name, n) != 0)
		return 0;
	p = msg + n;
	if (*p == ':')
		p++;
	else if (strncmp(p, " line ", 6) == 0)
		p += 6;
	else
		return 0;
	if (*p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9' && line < 1000000000)
		line = line * 10 + (size_t)(*p++ - '0');
	return *p == ':' ? line : 0;
}
