/* Small helpers the unit tests share. Include after <cmocka.h>. */
#ifndef NFLOGD_TESTUTIL_H
#define NFLOGD_TESTUTIL_H

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A read-only stream over text, for the parsers that take a FILE. */
static inline FILE *text_stream(const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	assert_non_null(f);
	return f;
}

/* xorshift64*: fixed seeds, the same inputs on every run. */
static inline uint64_t xorshift(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static inline int testutil_rm_one(const char *path, const struct stat *st, int flag,
				  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* cmocka setup/teardown: a fresh directory in *state, removed with all it
 * holds afterwards, even when the test fails. */
static inline int tmpdir_setup(void **state)
{
	char *dir = strdup("/tmp/nflogd-test-XXXXXX");

	if (dir == NULL || mkdtemp(dir) == NULL) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static inline int tmpdir_teardown(void **state)
{
	int rc = nftw(*state, testutil_rm_one, 16, FTW_DEPTH | FTW_PHYS);

	free(*state);
	return rc;
}

#endif
