/* tests/fuzz/fuzz.h: what every fuzz target defines, and the checks they share. */
#ifndef FOLIO_FUZZ_H
#define FOLIO_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/*
 * A target is one file tests/fuzz/fuzz_NAME.c defining LLVMFuzzerTestOneInput.
 * Built with clang -fsanitize=fuzzer it is a libFuzzer binary (`make fuzz`);
 * built with any compiler and tests/fuzz/main.c it replays files (`make check`).
 * It returns 0, and aborts through fuzz_fail when an invariant is broken.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Report a broken invariant (with the input's size) and abort, so libFuzzer saves the input. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define FUZZ_CHECK(cond, ...) do { if (!(cond)) fuzz_fail(__VA_ARGS__); } while (0)

/* Number of lines of text as cmark and the engine count them (LF, CRLF or CR end a line). */
size_t fuzz_line_count(const char *text, size_t len);

/* Number of characters (UTF-8 code points) on 1-based line `line`, without its line end. */
size_t fuzz_line_chars(const char *text, size_t len, size_t line);

/*
 * The line number N of a "NAME:N: ..." or "NAME line N: ..." message, or 0
 * when `msg` does not start with `name` followed by one of them.
 */
size_t fuzz_message_line(const char *msg, const char *name);

#endif
