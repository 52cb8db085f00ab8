/* state_parse over arbitrary bytes, through fmemopen as state_load reads
 * the file; then every state that parses is saved and read back, which
 * must give the same entries (a restart must not change a block). A bad
 * line costs that line only: the input without the lines set aside parses
 * with none bad and to the same entries. */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "policy.h"
#include "state.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.state"

static char save_path[PATH_MAX];	/* "" if no scratch directory */

static void cleanup(void)
{
	char dir[PATH_MAX];
	char *slash;

	if (save_path[0] == '\0')
		return;
	unlink(save_path);
	snprintf(dir, sizeof(dir), "%s", save_path);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		rmdir(dir);
	}
}

/* A scratch directory on tmpfs when there is one: fsync costs nothing there. */
static void setup(void)
{
	static const char *const bases[] = { "/dev/shm", "/tmp" };

	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s/nflogd-fuzz-state.XXXXXX", bases[i]);
		if (mkdtemp(dir) != NULL) {
			snprintf(save_path, sizeof(save_path), "%s/state", dir);
			atexit(cleanup);
			return;
		}
	}
}

static int addr_order(const void *a, const void *b)
{
	return addr_cmp(a, b);
}

static void check_entries(const struct state_entry *v, size_t n)
{
	struct addr *sorted = malloc(n * sizeof(*sorted));

	FUZZ_CHECK(sorted != NULL);
	for (size_t i = 0; i < n; i++) {
		static const struct mac zero;

		FUZZ_CHECK(v[i].reason == REASON_AUTO || v[i].reason == REASON_MANUAL);
		if (!v[i].has_mac)
			FUZZ_CHECK(mac_equal(&v[i].mac, &zero));
		sorted[i] = v[i].addr;
	}
	/* One line per host: later duplicates are set aside. */
	qsort(sorted, n, sizeof(*sorted), addr_order);
	for (size_t i = 1; i < n; i++)
		FUZZ_CHECK(!addr_equal(&sorted[i - 1], &sorted[i]));
	free(sorted);
}

static bool same_entry(const struct state_entry *a, const struct state_entry *b)
{
	return addr_equal(&a->addr, &b->addr) && a->has_mac == b->has_mac &&
	       (!a->has_mac || mac_equal(&a->mac, &b->mac)) && a->blocked == b->blocked &&
	       a->reason == b->reason && a->offences == b->offences && a->conns == b->conns &&
	       a->dsts == b->dsts && a->since == b->since && a->expires == b->expires &&
	       a->last_end == b->last_end;
}

static void check_round_trip(const struct state_entry *v, size_t n)
{
	struct state_entry *back = NULL;
	size_t nback = 0;
	struct error e = { "" };
	const char *err = e.msg;

	if (save_path[0] == '\0')
		return;
	if (state_save(save_path, v, n, &e) < 0) {
		fprintf(stderr, "fuzz_state: cannot save (%s); round trip skipped\n", err);
		save_path[0] = '\0';
		return;
	}
	if (state_load(save_path, &back, &nback, NULL, NULL, &e) != 0) {
		fprintf(stderr, "fuzz_state: the saved file does not load: %s\n", err);
		abort();
	}
	FUZZ_CHECK(nback == n);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(same_entry(&v[i], &back[i]));
	free(back);
}

/* The bad lines handed back, in order. */
struct bad {
	unsigned lines[4096];
	size_t n;
	bool overflow;
};

static void on_bad(void *ctx, unsigned line, const char *msg, const char *text, size_t len)
{
	struct bad *b = ctx;
	char prefix[32];

	(void)text;
	snprintf(prefix, sizeof(prefix), NAME ":%u: ", line);
	FUZZ_CHECK(strncmp(msg, prefix, strlen(prefix)) == 0 && strchr(msg, '\n') == NULL);
	FUZZ_CHECK(len < STATE_LINE_MAX);
	FUZZ_CHECK(b->n == 0 || line > b->lines[b->n - 1] || b->overflow);
	if (b->n == sizeof(b->lines) / sizeof(b->lines[0])) {
		b->overflow = true;
		return;
	}
	b->lines[b->n++] = line;
}

/* The input without its bad lines (lines end at '\n', as the parser reads). */
static uint8_t *without_bad(const uint8_t *data, size_t size, const struct bad *b, size_t *out_len)
{
	uint8_t *out = malloc(size ? size : 1);
	unsigned line = 1;
	size_t o = 0, k = 0;

	FUZZ_CHECK(out != NULL);
	for (size_t i = 0; i < size; line++) {
		size_t j = i;

		while (j < size && data[j] != '\n')
			j++;
		if (j < size)
			j++;
		if (k < b->n && b->lines[k] == line)
			k++;
		else {
			memcpy(out + o, data + i, j - i);
			o += j - i;
		}
		i = j;
	}
	*out_len = o;
	return out;
}

static void check_recovery(const uint8_t *data, size_t size, const struct bad *b,
			   const struct state_entry *v, size_t n)
{
	struct state_entry *again = NULL;
	struct bad none = { .n = 0 };
	struct error e = { "" };
	size_t len, nagain = 0;
	uint8_t *clean;
	FILE *f;
	int rc;

	if (b->n == 0 || b->overflow)
		return;
	clean = without_bad(data, size, b, &len);
	f = fuzz_open(clean, len);
	if (f == NULL) {
		free(clean);
		return;
	}
	rc = state_parse(f, NAME, &again, &nagain, on_bad, &none, &e);
	fclose(f);
	FUZZ_CHECK(rc == 0 && none.n == 0 && nagain == n);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(same_entry(&v[i], &again[i]));
	free(again);
	free(clean);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bad bad;
	static bool ready;
	struct state_entry *v = (struct state_entry *)(uintptr_t)1;	/* must be overwritten */
	size_t n = SIZE_MAX;
	struct error e = { "" };
	const char *err = e.msg;
	FILE *f;
	int rc;

	if (!ready) {
		setup();
		ready = true;
	}
	f = fuzz_open(data, size);
	if (f == NULL)
		return 0;
	memset(&e, 0x5a, sizeof(e));
	bad.n = 0;
	bad.overflow = false;
	rc = state_parse(f, NAME, &v, &n, on_bad, &bad, &e);
	fclose(f);
	FUZZ_CHECK(rc >= -1);
	if (rc >= 0)
		FUZZ_CHECK((size_t)rc == bad.n || bad.overflow);
	if (rc < 0) {
		FUZZ_CHECK(v == NULL && n == 0);
		FUZZ_CHECK(fuzz_terminated(err, sizeof(e.msg)));
		FUZZ_CHECK(strncmp(err, NAME ":", strlen(NAME ":")) == 0);
		return 0;
	}
	FUZZ_CHECK((n == 0) == (v == NULL));
	if (n > 0) {
		check_entries(v, n);
		check_round_trip(v, n);
	}
	check_recovery(data, size, &bad, v, n);
	free(v);
	return 0;
}
