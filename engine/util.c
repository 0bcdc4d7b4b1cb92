/* engine/util.c: allocation, the growable buffer, per-thread errors and small string helpers. */
#include "util.h"
#include "folio/evidence.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------ allocation */

static void oom(size_t n)
{
	fprintf(stderr, "folio: out of memory allocating %zu bytes\n", n);
	abort();
}

void *folio_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *folio_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *folio_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *folio_strndup(const char *s, size_t n)
{
	char *p = folio_malloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void *folio_grow(void *v, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap;
	if (need <= c)
		return v;
	c = c < 8 ? 8 : c + c / 2;
	if (c < need)
		c = need;
	if (c > (size_t)-1 / size)
		oom((size_t)-1);
	*cap = c;
	return folio_realloc(v, c * size);
}

char *folio_strdup(const char *s)
{
	return s ? folio_strndup(s, strlen(s)) : NULL;
}

char *folio_asprintf(const char *fmt, ...)
{
	folio_buf b = FOLIO_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	folio_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return folio_buf_detach(&b);
}

/* ---------------------------------------------------------------- errors */

static _Thread_local int last_code;
static _Thread_local char *last_msg;

int folio_error_set(int code, const char *fmt, ...)
{
	folio_buf b = FOLIO_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	folio_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	free(last_msg);
	last_msg = folio_buf_detach(&b);
	last_code = code;
	return code;
}

const char *folio_error_last(void)
{
	return last_msg ? last_msg : "";
}

int folio_error_code(void)
{
	return last_code;
}

void folio_error_clear(void)
{
	free(last_msg);
	last_msg = NULL;
	last_code = 0;
}

/* ---------------------------------------------------------------- buffer */

const char folio_buf__empty[1] = "";

void folio_buf_init(folio_buf *b)
{
	b->ptr = (char *)folio_buf__empty;
	b->size = b->asize = 0;
}

void folio_buf_free(folio_buf *b)
{
	if (b->asize)
		free(b->ptr);
	folio_buf_init(b);
}

void folio_buf_clear(folio_buf *b)
{
	b->size = 0;
	if (b->asize)
		b->ptr[0] = '\0';
}

void folio_buf_grow(folio_buf *b, size_t extra)
{
	size_t need = b->size + extra + 1;
	if (need <= b->asize)
		return;
	size_t n = b->asize ? b->asize : 64;
	while (n < need)
		n += n / 2 + 16;
	if (b->asize) {
		b->ptr = folio_realloc(b->ptr, n);
	} else {
		b->ptr = folio_malloc(n);
		b->ptr[0] = '\0';
	}
	b->asize = n;
}

void folio_buf_put(folio_buf *b, const char *data, size_t len)
{
	folio_buf_grow(b, len);
	memcpy(b->ptr + b->size, data, len);
	b->size += len;
	b->ptr[b->size] = '\0';
}

void folio_buf_puts(folio_buf *b, const char *s)
{
	folio_buf_put(b, s, strlen(s));
}

void folio_buf_putc(folio_buf *b, char c)
{
	folio_buf_put(b, &c, 1);
}

void folio_buf_vprintf(folio_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	folio_buf_grow(b, (size_t)n);
	vsnprintf(b->ptr + b->size, (size_t)n + 1, fmt, ap);
	b->size += (size_t)n;
}

void folio_buf_printf(folio_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	folio_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *folio_buf_detach(folio_buf *b)
{
	char *p = b->asize ? b->ptr : folio_strdup("");
	folio_buf_init(b);
	return p;
}

/* ----------------------------------------------------------------- files */

int folio_read_file(char **out, size_t *len, const char *path)
{
	FILE *f = fopen(path, "rb");
	folio_buf b = FOLIO_BUF_INIT;
	char chunk[65536];
	size_t n;

	*out = NULL;
	if (!f)
		return folio_error_set(errno == ENOENT ? FOLIO_ENOTFOUND : FOLIO_ERROR,
			"cannot read '%s': %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		folio_buf_put(&b, chunk, n);
	if (ferror(f)) {
		int e = errno;
		fclose(f);
		folio_buf_free(&b);
		return folio_error_set(FOLIO_ERROR, "cannot read '%s': %s", path, strerror(e));
	}
	fclose(f);
	if (len)
		*len = b.size;
	*out = folio_buf_detach(&b);
	return 0;
}

/* --------------------------------------------------------------- strings */

size_t folio_utf8_chars(const char *s, size_t bytes)
{
	size_t n = 0;
	for (size_t i = 0; i < bytes && s[i]; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

int folio_strncasecmp_ascii(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int ca = (unsigned char)a[i], cb = (unsigned char)b[i];
		if (ca >= 'A' && ca <= 'Z')
			ca += 32;
		if (cb >= 'A' && cb <= 'Z')
			cb += 32;
		if (ca != cb)
			return ca - cb;
		if (!ca)
			return 0;
	}
	return 0;
}

void folio_sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	static const char hex[] = "0123456789abcdef";
	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

/* ------------------------------------------------------------ crash tests */

/* -1: environment not read yet; 0: off; 1: on */
static atomic_int crash_state = -1;
static long crash_target;
static const char *crash_log;
static atomic_long crash_reached;

void folio_crashpoint(const char *name)
{
	int state = atomic_load_explicit(&crash_state, memory_order_acquire);
	if (state == 0)
		return;
	if (state < 0) {
		/* a race here only reads the same environment twice */
		const char *n = getenv("FOLIO_CRASHPOINT");
		crash_log = getenv("FOLIO_CRASHPOINT_LOG");
		if (crash_log && !*crash_log)
			crash_log = NULL;
		crash_target = n ? strtol(n, NULL, 10) : 0;
		state = crash_target > 0 || crash_log;
		atomic_store_explicit(&crash_state, state, memory_order_release);
		if (!state)
			return;
	}
	long reached = atomic_fetch_add(&crash_reached, 1) + 1;
	if (crash_log) {
		/* one write(2) per line with O_APPEND: lines of parallel processes never mix */
		int fd = open(crash_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
		if (fd >= 0) {
			char *line = folio_asprintf("%s\n", name);
			ssize_t ignored = write(fd, line, strlen(line));
			(void)ignored;
			free(line);
			close(fd);
		}
	}
	if (reached == crash_target)
		raise(SIGKILL);
}

int folio_text_valid(const char *what, const char *s)
{
	size_t bad = 0;
	if (!s || folio_utf8_valid(s, strlen(s), &bad))
		return 0;
	return folio_error_set(FOLIO_EINVALID, "%s is not valid UTF-8 text (byte 0x%02X)", what, (unsigned char)s[bad]);
}
