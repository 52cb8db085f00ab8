/* Unit tests for the command table (protocol.c) and its readers: the
 * daemon's handlers (commands.c), the argument check nflogctl and the
 * daemon share, nflogctl's usage, the man page and the bash completion.
 * Reads man/nflogctl.8 and etc/nflogctl.bash-completion from the top of
 * the tree, where make unit runs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "protocol.h"

#define MAN_PAGE "man/nflogctl.8"
#define COMPLETION "etc/nflogctl.bash-completion"

static const struct command *cmd(enum command_id id)
{
	return &protocol_commands[id];
}

static int count_args(const struct command *c)
{
	int n = 0;

	while (n < COMMAND_MAX_ARGS && c->args[n].kind != ARG_NONE)
		n++;
	return n;
}

/* What the rest of the code takes for granted about the table. */
static void test_table_well_formed(void **state)
{
	(void)state;
	for (int i = 0; i < COMMAND_COUNT; i++) {
		const struct command *c = cmd(i);
		int n = count_args(c);

		assert_non_null(c->name);
		assert_true(strlen(c->name) > 0 && strlen(c->name) < 16);
		assert_null(strchr(c->name, ' '));
		assert_true(c->help && *c->help && !strchr(c->help, '\n'));
		assert_int_equal(command_id_of(c), i);
		/* Every request fits the words the daemon splits. */
		assert_true((c->sub ? 2 : 1) + n <= PROTOCOL_MAX_WORDS);
		for (int a = 0; a < n; a++) {
			assert_true(*command_arg_name(c->args[a].kind));
			if (a > 0 && c->args[a - 1].optional)
				assert_true(c->args[a].optional);
			if (c->args[a].kind == ARG_TEXT)
				assert_int_equal(a, n - 1);
		}
		for (int a = n; a < COMMAND_MAX_ARGS; a++)
			assert_int_equal(c->args[a].kind, ARG_NONE);
		for (int j = 0; j < i; j++) {
			const struct command *o = cmd(j);

			if (strcmp(o->name, c->name) != 0)
				continue;
			/* A name is one command, or all its forms have a subcommand. */
			assert_true(c->sub && o->sub);
			assert_string_not_equal(c->sub, o->sub);
		}
		for (int r = 0; r < COMMAND_MAX_RECORDS && c->records[r].type; r++)
			for (int q = 0; q < r; q++)
				assert_string_not_equal(c->records[q].type, c->records[r].type);
	}
}

static void test_every_command_has_a_handler(void **state)
{
	(void)state;
	for (int i = 0; i < COMMAND_COUNT; i++) {
		if (!command_has_handler(i))
			fail_msg("%s %s has no handler in commands.c", cmd(i)->name,
				 cmd(i)->sub ? cmd(i)->sub : "");
	}
	assert_false(command_has_handler(COMMAND_COUNT));
}

/* The daemon's usage errors, word for word as before the table. */
static void test_usage_texts(void **state)
{
	char buf[256];

	(void)state;
	command_synopsis(cmd(CMD_BLOCK), buf, sizeof(buf));
	assert_string_equal(buf, "block ADDR [DURATION]");
	command_synopsis(cmd(CMD_WHITELIST_ADD), buf, sizeof(buf));
	assert_string_equal(buf, "whitelist add ADDR|CIDR|MAC [COMMENT]");
	command_usage("show", buf, sizeof(buf));
	assert_string_equal(buf, "show ADDR");
	command_usage("block", buf, sizeof(buf));
	assert_string_equal(buf, "block ADDR [DURATION]");
	command_usage("unblock", buf, sizeof(buf));
	assert_string_equal(buf, "unblock ADDR|all");
	command_usage("top", buf, sizeof(buf));
	assert_string_equal(buf, "top [N]");
	command_usage("whitelist", buf, sizeof(buf));
	assert_string_equal(buf, "whitelist list | add ADDR|CIDR|MAC [COMMENT] | del ADDR|CIDR|MAC");
}

/* nflogctl's usage has a line for each command, with its help. */
static void test_help_mentions_every_command(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	fputc('\n', f);
	command_print_help(f);
	assert_int_equal(fclose(f), 0);
	for (int i = 0; i < COMMAND_COUNT; i++) {
		char synopsis[128], beside[160], above[160];

		command_synopsis(cmd(i), synopsis, sizeof(synopsis));
		snprintf(beside, sizeof(beside), "\n  %s  ", synopsis);
		snprintf(above, sizeof(above), "\n  %s\n", synopsis);
		if (strstr(text, beside) == NULL && strstr(text, above) == NULL)
			fail_msg("usage lacks '%s':%s", synopsis, text);
		assert_non_null(strstr(text, cmd(i)->help));
	}
	free(text);
}

/* --- the argument check: nflogctl's and the daemon's agree --- */

/* The daemon's verdict on the request nflogctl would send for argv. */
static const struct command *daemon_verdict(char *const *argv, int argc, char *msg)
{
	char line[PROTOCOL_REQUEST_MAX + 1] = "";
	char *words[PROTOCOL_MAX_WORDS];
	struct error e = { "" };
	const struct command *c;
	int n;

	for (int i = 0; i < argc; i++) {
		strcat(line, argv[i]);
		if (i + 1 < argc)
			strcat(line, " ");
	}
	c = command_parse(line, words, &n, &e);
	snprintf(msg, ERROR_MAX, "%s", e.msg);
	if (c) {
		/* The handler gets every word, the text argument whole. */
		assert_int_equal(n, argc < PROTOCOL_MAX_WORDS ? argc : PROTOCOL_MAX_WORDS);
		assert_string_equal(words[0], argv[0]);
	}
	return c;
}

struct vector {
	const char *argv[8];
	int want;		/* the command's id, or -1 for refused */
	const char *error;	/* the daemon's message, when refused */
};

static const struct vector vectors[] = {
	{ { "status" }, CMD_STATUS, NULL },
	{ { "status", "now" }, -1, "usage: status" },
	{ { "list" }, CMD_LIST, NULL },
	{ { "list", "all" }, -1, "usage: list" },
	{ { "top" }, CMD_TOP, NULL },
	{ { "top", "5" }, CMD_TOP, NULL },
	{ { "top", "5", "6" }, -1, "usage: top [N]" },
	{ { "top", "1", "2", "3", "4" }, -1, "top: too many arguments" },
	{ { "show" }, -1, "usage: show ADDR" },
	{ { "show", "192.0.2.1" }, CMD_SHOW, NULL },
	{ { "show", "192.0.2.1", "x" }, -1, "usage: show ADDR" },
	{ { "block" }, -1, "usage: block ADDR [DURATION]" },
	{ { "block", "192.0.2.1" }, CMD_BLOCK, NULL },
	{ { "block", "2001:db8::1", "2h" }, CMD_BLOCK, NULL },
	{ { "block", "192.0.2.1", "2h", "x" }, -1, "usage: block ADDR [DURATION]" },
	{ { "unblock" }, -1, "usage: unblock ADDR|all" },
	{ { "unblock", "all" }, CMD_UNBLOCK, NULL },
	{ { "unblock", "192.0.2.1", "all" }, -1, "usage: unblock ADDR|all" },
	{ { "whitelist" }, -1, "usage: whitelist list | add ADDR|CIDR|MAC [COMMENT] | del ADDR|CIDR|MAC" },
	{ { "whitelist", "list" }, CMD_WHITELIST_LIST, NULL },
	{ { "whitelist", "list", "x" }, -1, "usage: whitelist list | add ADDR|CIDR|MAC [COMMENT] | del ADDR|CIDR|MAC" },
	{ { "whitelist", "add" }, -1, "usage: whitelist list | add ADDR|CIDR|MAC [COMMENT] | del ADDR|CIDR|MAC" },
	{ { "whitelist", "add", "192.0.2.0/24" }, CMD_WHITELIST_ADD, NULL },
	{ { "whitelist", "add", "192.0.2.0/24", "BYOD" }, CMD_WHITELIST_ADD, NULL },
	{ { "whitelist", "add", "52:54:00:aa:bb:cc", "the", "mail", "server", "here" },
	  CMD_WHITELIST_ADD, NULL },
	{ { "whitelist", "del", "192.0.2.1" }, CMD_WHITELIST_DEL, NULL },
	{ { "whitelist", "del" }, -1, "usage: whitelist list | add ADDR|CIDR|MAC [COMMENT] | del ADDR|CIDR|MAC" },
	{ { "whitelist", "del", "192.0.2.1", "x" }, -1, "usage: whitelist list | add ADDR|CIDR|MAC [COMMENT] | del ADDR|CIDR|MAC" },
	{ { "whitelist", "flush" }, -1, "usage: whitelist list | add ADDR|CIDR|MAC [COMMENT] | del ADDR|CIDR|MAC" },
	{ { "reload" }, CMD_RELOAD, NULL },
	{ { "reload", "now" }, -1, "usage: reload" },
	{ { "frobnicate" }, -1, "unknown command 'frobnicate'" },
	{ { "frobnicate", "a", "b", "c", "d", "e" }, -1, "unknown command 'frobnicate'" },
	{ { "Status" }, -1, "unknown command 'Status'" },
	{ { "" }, -1, "unknown command ''" },
	{ { "averyveryverylongcommand" }, -1, "unknown command 'averyveryverylo'" },
};

static void test_check_agrees_with_daemon(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		char *argv[8], msg[ERROR_MAX];
		const struct command *ctl, *daemon;
		int argc = 0;

		while (argc < 8 && v->argv[argc])
			argv[argc] = (char *)v->argv[argc], argc++;
		ctl = command_match(argv, argc, NULL);
		daemon = daemon_verdict(argv, argc, msg);
		if (ctl != daemon)
			fail_msg("vector %zu (%s ...): nflogctl says %s, the daemon %s (%s)", i,
				 v->argv[0], ctl ? ctl->name : "refused",
				 daemon ? daemon->name : "refused", msg);
		if (v->want < 0) {
			assert_null(ctl);
			assert_string_equal(msg, v->error);
		} else {
			assert_non_null(ctl);
			assert_int_equal(command_id_of(ctl), v->want);
		}
	}
}

/* A request line's spaces: leading and repeated ones are not words, and a
 * comment keeps its own. */
static void test_parse_spaces_and_text(void **state)
{
	char line[] = "  whitelist  add 192.0.2.1   the  mail server ";
	char again[] = "top 5 ";
	char *words[PROTOCOL_MAX_WORDS];
	int n;

	(void)state;
	assert_ptr_equal(command_parse(line, words, &n, NULL), cmd(CMD_WHITELIST_ADD));
	assert_int_equal(n, 4);
	assert_string_equal(words[2], "192.0.2.1");
	assert_string_equal(words[3], "the  mail server ");
	assert_ptr_equal(command_parse(again, words, &n, NULL), cmd(CMD_TOP));
	assert_int_equal(n, 2);
}

/* --- the documents beside the table --- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	long len;

	if (f == NULL)
		fail_msg("cannot read %s (run from the top of the tree, as make unit does)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return text;
}

/* Is ".It Ic NAME [SUB]" (then a space or the line's end) in the page? */
static bool man_has(const char *page, const struct command *c)
{
	char item[64];

	snprintf(item, sizeof(item), "\n.It Ic %s%s%s", c->name, c->sub ? " " : "",
		 c->sub ? c->sub : "");
	for (const char *p = strstr(page, item); p; p = strstr(p + 1, item)) {
		char next = p[strlen(item)];

		if (next == ' ' || next == '\n')
			return true;
	}
	return false;
}

/* Is name a command, and sub one of its subcommands if it has them? */
static bool in_table(const char *name, const char *sub)
{
	for (int i = 0; i < COMMAND_COUNT; i++)
		if (strcmp(cmd(i)->name, name) == 0 && (!cmd(i)->sub || !strcmp(cmd(i)->sub, sub)))
			return true;
	return false;
}

static void test_man_page_lists_every_command(void **state)
{
	char *page = slurp(MAN_PAGE);

	(void)state;
	for (int i = 0; i < COMMAND_COUNT; i++)
		if (!man_has(page, cmd(i)))
			fail_msg("%s has no '.It Ic %s%s%s'", MAN_PAGE, cmd(i)->name,
				 cmd(i)->sub ? " " : "", cmd(i)->sub ? cmd(i)->sub : "");
	/* And it documents no command the table lacks. */
	for (char *p = strstr(page, "\n.It Ic "); p; p = strstr(p + 1, "\n.It Ic ")) {
		char name[32] = "", sub[32] = "";

		sscanf(p + strlen("\n.It Ic "), "%31s %31s", name, sub);
		if (!in_table(name, sub))
			fail_msg("%s documents '%s %s', not in the table", MAN_PAGE, name, sub);
	}
	free(page);
}

/* The words of the completion's "local VAR='...'" line (var with its
 * '='), space-separated. */
static char *completion_words(const char *text, const char *var)
{
	char key[64];
	const char *p, *end;
	char *words;

	snprintf(key, sizeof(key), "local %s'", var);
	p = strstr(text, key);
	if (p == NULL)
		fail_msg("%s has no %s", COMPLETION, key);
	p += strlen(key);
	end = strchr(p, '\'');
	assert_non_null(end);
	words = strndup(p, (size_t)(end - p));
	assert_non_null(words);
	return words;
}

/* Are the words of list (space-separated) exactly the names given? */
static void assert_same_words(const char *list, const char *const *names, size_t n,
			      const char *what)
{
	char *copy = strdup(list), *w, *save = NULL;
	size_t found = 0;

	assert_non_null(copy);
	for (w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		bool known = false;

		for (size_t i = 0; i < n; i++)
			known |= strcmp(names[i], w) == 0;
		if (!known)
			fail_msg("%s: '%s' is not in the table", what, w);
		found++;
	}
	if (found != n)
		fail_msg("%s: '%s' are %zu words, the table has %zu", what, list, found, n);
	free(copy);
}

static void test_completion_matches_table(void **state)
{
	char *text = slurp(COMPLETION), *words;
	const char *names[COMMAND_COUNT];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < COMMAND_COUNT; i++) {
		bool dup = false;

		for (size_t j = 0; j < n; j++)
			dup |= strcmp(names[j], cmd(i)->name) == 0;
		if (!dup)
			names[n++] = cmd(i)->name;
	}
	words = completion_words(text, "commands=");
	assert_same_words(words, names, n, COMPLETION " commands");
	free(words);
	for (size_t k = 0; k < n; k++) {
		const char *subs[COMMAND_COUNT];
		size_t nsubs = 0;
		char var[64];

		for (int i = 0; i < COMMAND_COUNT; i++)
			if (strcmp(cmd(i)->name, names[k]) == 0 && cmd(i)->sub)
				subs[nsubs++] = cmd(i)->sub;
		snprintf(var, sizeof(var), "local %s_subcommands=", names[k]);
		if (nsubs == 0) {
			if (strstr(text, var))
				fail_msg("%s: %s has no subcommands in the table", COMPLETION, names[k]);
			continue;
		}
		words = completion_words(text, var + strlen("local "));
		assert_same_words(words, subs, nsubs, COMPLETION " subcommands");
		free(words);
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_well_formed),
		cmocka_unit_test(test_every_command_has_a_handler),
		cmocka_unit_test(test_usage_texts),
		cmocka_unit_test(test_help_mentions_every_command),
		cmocka_unit_test(test_check_agrees_with_daemon),
		cmocka_unit_test(test_parse_spaces_and_text),
		cmocka_unit_test(test_man_page_lists_every_command),
		cmocka_unit_test(test_completion_matches_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
