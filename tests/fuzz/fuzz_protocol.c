/* The control protocol over arbitrary bytes: protocol_split on a request
 * line, protocol_parse_record on a reply line, and the reply encoder's
 * promise that any value comes back from the parser unchanged. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_split(const uint8_t *data, size_t size, int max, bool keep_rest)
{
	char *line = fuzz_strndup(data, size);
	size_t len = strlen(line);
	char *words[PROTOCOL_MAX_WORDS];
	int n = protocol_split(line, words, max, keep_rest);

	FUZZ_CHECK(n == -1 || (n >= 1 && n <= max));
	for (int i = 0; i < n; i++) {
		FUZZ_CHECK(words[i] >= line && words[i] < line + len);
		FUZZ_CHECK(words[i][0] != '\0' && words[i][0] != ' ');
		FUZZ_CHECK(strpbrk(words[i], "\r\n") == NULL);
		if (!keep_rest || i < n - 1)
			FUZZ_CHECK(strchr(words[i], ' ') == NULL);
	}
	free(line);
}

struct fields {
	int n;
};

static void on_field(void *ctx, const char *key, const char *value, bool number)
{
	struct fields *f = ctx;

	(void)number;
	f->n++;
	FUZZ_CHECK(key[0] != '\0');
	FUZZ_CHECK(strpbrk(key, "=\t") == NULL);
	FUZZ_CHECK(value != NULL);
}

static void check_record(const uint8_t *data, size_t size)
{
	char *line = fuzz_strndup(data, size);
	struct fields f = { 0 };
	int rc = protocol_parse_record(line, on_field, &f);

	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK(f.n <= (int)size);
	free(line);
}

/* Read back what reply_str wrote. */
struct expect {
	const char *value;
	bool seen_type, seen_value, seen_num;
	int64_t num;
};

static void on_echo(void *ctx, const char *key, const char *value, bool number)
{
	struct expect *e = ctx;

	if (strcmp(key, "type") == 0 && !number) {
		FUZZ_CHECK(strcmp(value, "echo") == 0);
		e->seen_type = true;
	} else if (strcmp(key, "value") == 0 && !number) {
		FUZZ_CHECK(strcmp(value, e->value) == 0);
		e->seen_value = true;
	} else if (strcmp(key, "n") == 0 && number) {
		FUZZ_CHECK(strtoll(value, NULL, 10) == e->num);
		e->seen_num = true;
	} else {
		FUZZ_CHECK(!"unexpected field");
	}
}

static void check_round_trip(const uint8_t *data, size_t size)
{
	char *value = fuzz_strndup(data, size);
	struct expect e = { .value = value, .num = -(int64_t)size };
	struct reply r;
	char *nl, *rec;

	reply_init(&r);
	reply_ok(&r);
	reply_record(&r, "echo");
	reply_str(&r, "value", value);
	reply_num(&r, "n", e.num);
	reply_finish(&r);
	FUZZ_CHECK(!r.failed && r.len == strlen(r.buf));
	FUZZ_CHECK(strncmp(r.buf, "ok\n", 3) == 0 && r.buf[r.len - 1] == '\n');
	rec = r.buf + 3;
	nl = strchr(rec, '\n');
	FUZZ_CHECK(nl == r.buf + r.len - 1);	/* one record, one line */
	*nl = '\0';
	FUZZ_CHECK(protocol_parse_record(rec, on_echo, &e) == 0);
	FUZZ_CHECK(e.seen_type && e.seen_value && e.seen_num);
	reply_free(&r);

	/* An error is one line, whatever its message holds. */
	reply_init(&r);
	reply_ok(&r);
	reply_record(&r, "dropped");
	reply_error(&r, "bad: %s", value);
	reply_finish(&r);
	FUZZ_CHECK(strncmp(r.buf, "error bad: ", 11) == 0);
	FUZZ_CHECK(strchr(r.buf, '\n') == r.buf + r.len - 1);
	FUZZ_CHECK(strchr(r.buf, '\t') == NULL);
	reply_free(&r);
	free(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int max = 1; max <= PROTOCOL_MAX_WORDS; max++) {
		check_split(data, size, max, false);
		check_split(data, size, max, true);
	}
	check_record(data, size);
	check_round_trip(data, size);
	return 0;
}
