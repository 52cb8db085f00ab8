/* Helpers shared by the fuzz targets: a FILE over the input, and checks
 * that turn a broken promise of a parser into a crash libFuzzer reports. */
#ifndef NFLOGD_FUZZ_H
#define NFLOGD_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Not assert(): it must hold in every build, NDEBUG or not. */
#define FUZZ_CHECK(cond)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: fuzz check failed: %s\n",       \
				__FILE__, __LINE__, #cond);                     \
			abort();                                                \
		}                                                               \
	} while (0)

/* The input as a read-only stream; NUL bytes are read like any other. */
static inline FILE *fuzz_open(const uint8_t *data, size_t size)
{
	static char empty[1];

	/* "r" never writes through the buffer: the cast is safe. */
	return fmemopen(size ? (void *)(uintptr_t)data : empty, size, "r");
}

/* A NUL-terminated heap copy (NULs inside stay: C strings see a prefix). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	for (size_t i = 0; i < size; i++)
		s[i] = (char)data[i];
	s[size] = '\0';
	return s;
}

/* Every byte of a C string in a fixed buffer of `size` is before its NUL. */
static inline int fuzz_terminated(const char *s, size_t size)
{
	for (size_t i = 0; i < size; i++)
		if (s[i] == '\0')
			return 1;
	return 0;
}

#endif
