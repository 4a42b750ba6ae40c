/*
 * Ferrite's bridge to the C library's number conversions.
 *
 * INCRBYFLOAT and HINCRBYFLOAT compute in C's `long double` (80-bit extended
 * precision on x86_64), parse with strtold and print with "%.17Lf"; scores
 * and other doubles are parsed with strtod. Rust has no `long double` and no
 * hexadecimal float parser, so these few functions let the storage crate
 * reproduce those results bit for bit. `src/num.rs` is the only caller and
 * wraps each function in a safe API.
 *
 * A long double crosses the boundary as 16 opaque bytes (its in-memory
 * representation, zero-padded), never as a C value, so its ABI does not
 * matter. Every buffer here is fixed-size and every write is bounded.
 *
 * Conversions follow the C locale; nothing in Ferrite calls setlocale().
 */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes a long double occupies across the boundary (Rust's LongDouble). */
#define FERRITE_LD_BYTES 16
/* Longest text strtold is given, terminator included (as in Redis). */
#define FERRITE_LD_MAX_CHARS 5120

_Static_assert(sizeof(long double) <= FERRITE_LD_BYTES,
               "long double does not fit in FERRITE_LD_BYTES");

/* Bytes of a long double that hold its value: x87's 80-bit format leaves
 * the rest of its 16 bytes as padding of unspecified content. */
#if LDBL_MANT_DIG == 64
#define FERRITE_LD_VALUE_BYTES 10
#else
#define FERRITE_LD_VALUE_BYTES sizeof(long double)
#endif

static void ld_store(unsigned char *out, long double v) {
    memset(out, 0, FERRITE_LD_BYTES);
    memcpy(out, &v, FERRITE_LD_VALUE_BYTES);
}

static long double ld_load(const unsigned char *in) {
    long double v = 0.0L;
    memcpy(&v, in, FERRITE_LD_VALUE_BYTES);
    return v;
}

/*
 * Parses s[0..len) (need not be NUL-terminated) as Redis's string2ld does:
 * the length is 1..FERRITE_LD_MAX_CHARS-1, the first byte is not white
 * space, strtold consumes every byte (so an embedded NUL fails), the value
 * did not overflow or underflow to zero, and it is not NaN.
 * Returns 1 and fills out[FERRITE_LD_BYTES] on success, else 0.
 */
int ferrite_ld_parse(const char *s, size_t len, unsigned char *out) {
    char buf[FERRITE_LD_MAX_CHARS];
    char *end = NULL;
    long double v;

    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (isspace((unsigned char)buf[0])) return 0;
    errno = 0;
    v = strtold(buf, &end);
    if (end == NULL || (size_t)(end - buf) != len) return 0;
    if (errno == ERANGE && (isinf(v) || v == 0.0L)) return 0;
    if (errno == EINVAL || isnan(v)) return 0;
    ld_store(out, v);
    return 1;
}

/* out = a + b, rounded as the hardware rounds long doubles. */
void ferrite_ld_add(const unsigned char *a, const unsigned char *b, unsigned char *out) {
    ld_store(out, ld_load(a) + ld_load(b));
}

/* out = (long double)n; exact on x86_64, where the significand has 64 bits. */
void ferrite_ld_from_i64(int64_t n, unsigned char *out) {
    ld_store(out, (long double)n);
}

/* 0 when finite, 1 for +inf, -1 for -inf, 2 for NaN. */
int ferrite_ld_class(const unsigned char *v) {
    long double x = ld_load(v);
    if (isnan(x)) return 2;
    if (isinf(x)) return x > 0 ? 1 : -1;
    return 0;
}

/*
 * Writes "%.17Lf" of v into buf[0..cap) with a terminating NUL. Returns the
 * length written, or -1 if it did not fit (a finite long double needs at
 * most 4953 bytes: 4933 integer digits, sign, point, 17 decimals, NUL).
 */
int ferrite_ld_fmt_fixed17(const unsigned char *v, char *buf, size_t cap) {
    int n = snprintf(buf, cap, "%.17Lf", ld_load(v));
    if (n < 0 || (size_t)n >= cap) return -1;
    return n;
}

/*
 * C's strtod over the NUL-terminated s: the value goes to *out, whether
 * strtod set errno to ERANGE (overflow, or an inexact underflow) to
 * *erange, and the result is how many bytes it consumed (0: no conversion).
 * Redis reads doubles with strtod and decides from these three what it
 * accepts, differently per command; `src/num.rs` does the same.
 */
size_t ferrite_strtod(const char *s, double *out, int *erange) {
    char *end = NULL;
    errno = 0;
    *out = strtod(s, &end);
    *erange = errno == ERANGE;
    return end == NULL ? 0 : (size_t)(end - s);
}

/*
 * Writes "%.17g" of d into buf[0..cap). Returns the length, or -1 if it did
 * not fit. Only the tests use it, as the reference for the Rust formatter.
 */
int ferrite_fmt_double_g17(double d, char *buf, size_t cap) {
    int n = snprintf(buf, cap, "%.17g", d);
    if (n < 0 || (size_t)n >= cap) return -1;
    return n;
}

/*
 * Blocking-command timeouts are seconds as a long double, turned into whole
 * milliseconds by rounding up (so 0.0001 waits 1 ms, while -0.0001 rounds to
 * 0, which means "forever"). Returns 1 and fills *out when the result is a
 * non-negative value that fits a signed 64-bit integer; 0 when it is
 * negative or beyond that range (Redis, converting with a plain cast, gets a
 * negative number there on x86_64 and answers "timeout is negative").
 */
int ferrite_ld_timeout_ms(const unsigned char *v, long long *out) {
    long double ms = ceill(ld_load(v) * 1000.0L);
    if (!(ms >= 0.0L) || ms >= 9223372036854775808.0L) return 0;
    *out = (long long)ms;
    return 1;
}
