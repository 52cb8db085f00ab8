/* The control protocol over arbitrary bytes: protocol_split and
 * command_parse on a request line, protocol_parse_record on a reply line,
 * and the reply encoder's promise that any value comes back from the
 * parser unchanged. */
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

/* A request the table takes is a command's words, as nflogctl would
 * check them; one it refuses has its one-line reason. */
static void check_command(const uint8_t *data, size_t size)
{
	char *line = fuzz_strndup(data, size);
	char *words[PROTOCOL_MAX_WORDS];
	struct error e = { "" };
	const struct command *c;
	int n = -1;

	c = command_parse(line, words, &n, &e);
	if (c == NULL) {
		FUZZ_CHECK(e.msg[0] != '\0' && strchr(e.msg, '\n') == NULL);
	} else {
		FUZZ_CHECK(n >= 1 && n <= PROTOCOL_MAX_WORDS);
		FUZZ_CHECK(c >= protocol_commands && c < protocol_commands + COMMAND_COUNT);
		FUZZ_CHECK(strcmp(words[0], c->name) == 0);
		FUZZ_CHECK(c->sub == NULL || (n >= 2 && strcmp(words[1], c->sub) == 0));
		FUZZ_CHECK(command_match(words, n, NULL) == c);
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
	FUZZ_CHECK(reply_complete(r.buf, r.len));
	rec = r.buf + 3;
	nl = strchr(rec, '\n');
	FUZZ_CHECK(nl == r.buf + r.len - 1 - strlen(PROTOCOL_END "\n"));	/* one record, one line */
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
	FUZZ_CHECK(reply_complete(r.buf, r.len));
	FUZZ_CHECK(strchr(r.buf, '\n') == r.buf + r.len - 1 - strlen(PROTOCOL_END "\n"));
	FUZZ_CHECK(strchr(r.buf, '\t') == NULL);
	reply_free(&r);
	free(value);
}

/* A request as it arrives, NULs and all: refused with one error line, or
 * a line without control bytes (but tab) and without its trailing CR. */
static void check_request_line(const uint8_t *data, size_t size)
{
	char *req = malloc(size + 1);
	struct reply r;
	char *line;
	bool has_nul = memchr(data, 0, size) != NULL;

	FUZZ_CHECK(req != NULL);
	if (size)
		memcpy(req, data, size);
	reply_init(&r);
	line = protocol_request_line(req, size, &r);
	if (line == NULL) {
		reply_finish(&r);
		FUZZ_CHECK(strncmp(r.buf, "error request holds ", 20) == 0);
		FUZZ_CHECK(reply_complete(r.buf, r.len));
	} else {
		FUZZ_CHECK(!has_nul && r.len == 0);
		FUZZ_CHECK(strlen(line) == size || (strlen(line) == size - 1 && data[size - 1] == '\r'));
		for (const char *p = line; *p; p++)
			FUZZ_CHECK(*p == '\t' || ((unsigned char)*p >= 0x20 && *p != 0x7f));
	}
	reply_free(&r);
	free(req);
}

/* Whether reply_complete says so is whether the text ends in an end line. */
static void check_complete(const uint8_t *data, size_t size)
{
	bool want = (size == 4 && memcmp(data, "end\n", 4) == 0) ||
		    (size > 4 && memcmp(data + size - 5, "\nend\n", 5) == 0);

	FUZZ_CHECK(reply_complete((const char *)data, size) == want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_request_line(data, size);
	check_complete(data, size);
	for (int max = 1; max <= PROTOCOL_MAX_WORDS; max++) {
		check_split(data, size, max, false);
		check_split(data, size, max, true);
	}
	check_command(data, size);
	check_record(data, size);
	check_round_trip(data, size);
	return 0;
}
