/* nflogd.conf parsing and validation. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "text.h"

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nflog_group = 25;
	cfg->ports[0] = 25;
	cfg->nports = 1;
	cfg->threshold = 20;
	cfg->window = 60;
	cfg->min_destinations = 1;
	cfg->block_time = 3600;
	cfg->block_time_max = 7 * 86400;
	cfg->block_scope = SCOPE_SMTP;
	cfg->install_rules = true;
	cfg->set_timeouts = true;
	snprintf(cfg->table, sizeof(cfg->table), "nflogd");
	snprintf(cfg->whitelist, sizeof(cfg->whitelist), "/etc/nflogd/whitelist");
	snprintf(cfg->state_file, sizeof(cfg->state_file), "/var/lib/nflogd/state");
	snprintf(cfg->socket, sizeof(cfg->socket), "/run/nflogd/nflogd.sock");
	cfg->max_hosts = 65536;
	cfg->max_blocked = 65536;
	snprintf(cfg->leases_file, sizeof(cfg->leases_file),
		 "/var/lib/dnsmasq/dnsmasq.leases");
}

/* Each setter returns NULL or a message saying what is wrong with the value. */
typedef const char *(*setter_fn)(struct config *cfg, const char *value);

static const char *parse_uint(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long n;

	if (!isdigit((unsigned char)v[0]))
		return "expected a number";
	errno = 0;
	n = strtoull(v, &end, 10);
	if (*end != '\0')
		return "expected a number";
	if (errno == ERANGE || n < min || n > max)
		return "out of range";
	*out = n;
	return NULL;
}

#define UINT_SETTER(name, field, min, max)                                   \
	static const char *set_##name(struct config *cfg, const char *v)     \
	{                                                                    \
		uint64_t n;                                                  \
		const char *e = parse_uint(v, min, max, &n);                 \
		if (e)                                                       \
			return e;                                            \
		cfg->field = (__typeof__(cfg->field))n;                      \
		return NULL;                                                 \
	}

UINT_SETTER(nflog_group, nflog_group, 0, 65535)
UINT_SETTER(threshold, threshold, 1, 1000000)
UINT_SETTER(min_destinations, min_destinations, 1, CONFIG_MAX_MIN_DESTINATIONS)
UINT_SETTER(max_hosts, max_hosts, 16, 1u << 24)
UINT_SETTER(max_blocked, max_blocked, 1, 1u << 20)

static const char *set_ports(struct config *cfg, const char *v)
{
	uint16_t ports[CONFIG_MAX_PORTS];
	size_t n = 0;
	const char *p = v;

	for (;;) {
		char item[8];
		size_t len = strcspn(p, ",");
		uint64_t port;

		while (len > 0 && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
		while (len > 0 && isspace((unsigned char)p[len - 1]))
			len--;
		if (len == 0 || len >= sizeof(item))
			return "expected a comma-separated list of ports";
		memcpy(item, p, len);
		item[len] = '\0';
		if (parse_uint(item, 1, 65535, &port))
			return "port out of range (1-65535)";
		for (size_t i = 0; i < n; i++)
			if (ports[i] == port)
				return "port listed twice";
		if (n == CONFIG_MAX_PORTS)
			return "too many ports (at most 16)";
		ports[n++] = (uint16_t)port;
		p += strcspn(p, ",");
		if (*p == '\0')
			break;
		p++;
	}
	memcpy(cfg->ports, ports, sizeof(ports));
	cfg->nports = n;
	return NULL;
}

static const char *parse_seconds(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	if (duration_parse(v, out) < 0)
		return "expected a duration (90, 90s, 30m, 2h, 7d)";
	if (*out < min || *out > max)
		return "duration out of range";
	return NULL;
}

static const char *set_window(struct config *cfg, const char *v)
{
	uint64_t s;
	const char *e = parse_seconds(v, 1, 86400, &s);

	if (e)
		return e;
	cfg->window = (uint32_t)s;
	return NULL;
}

static const char *set_block_time(struct config *cfg, const char *v)
{
	return parse_seconds(v, 0, DURATION_MAX, &cfg->block_time);
}

static const char *set_block_time_max(struct config *cfg, const char *v)
{
	return parse_seconds(v, 1, DURATION_MAX, &cfg->block_time_max);
}

static const char *set_block_scope(struct config *cfg, const char *v)
{
	if (strcmp(v, "smtp") == 0)
		cfg->block_scope = SCOPE_SMTP;
	else if (strcmp(v, "all") == 0)
		cfg->block_scope = SCOPE_ALL;
	else
		return "expected smtp or all";
	return NULL;
}

static const char *parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		*out = false;
	else
		return "expected yes or no";
	return NULL;
}

static const char *set_install_rules(struct config *cfg, const char *v)
{
	return parse_bool(v, &cfg->install_rules);
}

static const char *set_set_timeouts(struct config *cfg, const char *v)
{
	if (!strcmp(v, "auto")) {
		cfg->set_timeouts = true;
		return NULL;
	}
	if (!strcmp(v, "no")) {
		cfg->set_timeouts = false;
		return NULL;
	}
	return "expected auto or no";
}

static const char *set_table(struct config *cfg, const char *v)
{
	size_t len = strlen(v);

	if (len == 0 || len >= sizeof(cfg->table) || !isalpha((unsigned char)v[0]))
		return "expected a name of 1-31 letters, digits, '_' or '-'";
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '_' && v[i] != '-')
			return "expected a name of 1-31 letters, digits, '_' or '-'";
	memcpy(cfg->table, v, len + 1);
	return NULL;
}

static const char *set_path(char *dst, size_t size, const char *v)
{
	if (v[0] != '/')
		return "expected an absolute path";
	if (strlen(v) >= size)
		return "path too long";
	memcpy(dst, v, strlen(v) + 1);
	return NULL;
}

#define PATH_SETTER(name)                                                  \
	static const char *set_##name(struct config *cfg, const char *v)   \
	{                                                                  \
		return set_path(cfg->name, sizeof(cfg->name), v);          \
	}

PATH_SETTER(whitelist)
PATH_SETTER(state_file)
PATH_SETTER(socket)
PATH_SETTER(leases_file)

static const char *set_on_block(struct config *cfg, const char *v)
{
	if (v[0] == '\0') {	/* on_block = "" turns it off */
		cfg->on_block[0] = '\0';
		return NULL;
	}
	return set_path(cfg->on_block, sizeof(cfg->on_block), v);
}

static const char *set_socket_group(struct config *cfg, const char *v)
{
	size_t len = strlen(v);

	if (len >= sizeof(cfg->socket_group))
		return "group name too long";
	for (size_t i = 0; i < len; i++)
		if (isspace((unsigned char)v[i]) || v[i] == ':')
			return "expected a group name";
	memcpy(cfg->socket_group, v, len + 1);
	return NULL;
}

static const struct {
	const char *key;
	setter_fn set;
} keys[] = {
	{ "nflog_group", set_nflog_group },
	{ "ports", set_ports },
	{ "threshold", set_threshold },
	{ "window", set_window },
	{ "min_destinations", set_min_destinations },
	{ "block_time", set_block_time },
	{ "block_time_max", set_block_time_max },
	{ "block_scope", set_block_scope },
	{ "install_rules", set_install_rules },
	{ "table", set_table },
	{ "whitelist", set_whitelist },
	{ "state_file", set_state_file },
	{ "socket", set_socket },
	{ "socket_group", set_socket_group },
	{ "max_hosts", set_max_hosts },
	{ "max_blocked", set_max_blocked },
	{ "leases_file", set_leases_file },
	{ "on_block", set_on_block },
	{ "set_timeouts", set_set_timeouts },
};

static int fail(struct error *err, const char *name, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "NAME:LINE: message"; a huge name leaves room for little else. */
static int fail(struct error *err, const char *name, unsigned line, const char *fmt, ...)
{
	char msg[ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_set(err, "%s:%u: %s", name, line, msg);
}

/* Strip matching quotes, and a trailing " # comment" after the value. */
static const char *unquote(char *v)
{
	if (v[0] == '"' || v[0] == '\'') {
		char *close = strchr(v + 1, v[0]);
		const char *rest;

		if (close == NULL)
			return NULL;
		for (rest = close + 1; isspace((unsigned char)*rest); rest++)
			;
		if (*rest != '\0' && !(*rest == '#' && rest > close + 1))
			return NULL;
		*close = '\0';
		return v + 1;
	}
	for (char *p = v; *p; p++)
		if (*p == '#' && p > v && isspace((unsigned char)p[-1])) {
			*p = '\0';
			return text_trim(v);
		}
	return v;
}

int config_parse(struct config *out, FILE *f, const char *name, struct error *err)
{
	struct config cfg = *out;
	char buf[1024];
	unsigned line = 0, max_line = 0, time_line = 0;
	const char *why;
	int got;

	while ((got = text_read_line(f, buf, sizeof(buf), &why)) > 0) {
		char *s, *eq, *key;
		const char *value, *msg;
		size_t i;

		line++;
		if (why)
			return fail(err, name, line, "%s", why);
		s = text_trim(buf);
		if (*s == '\0' || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (eq == NULL)
			return fail(err, name, line, "expected 'key = value'");
		*eq = '\0';
		key = text_trim(s);
		value = unquote(text_trim(eq + 1));
		if (value == NULL)
			return fail(err, name, line, "%s: unbalanced quote or text after it", key);
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcmp(keys[i].key, key) == 0)
				break;
		if (i == sizeof(keys) / sizeof(keys[0]))
			return fail(err, name, line, "unknown key '%s'", key);
		msg = keys[i].set(&cfg, value);
		if (msg)
			return fail(err, name, line, "%s: %s: '%s'", key, msg, value);
		if (keys[i].set == set_block_time_max)
			max_line = line;
		if (keys[i].set == set_block_time)
			time_line = line;
		if (keys[i].set == set_socket_group)
			cfg.socket_group_line = line;
	}
	if (got < 0)
		return fail(err, name, line, "read error");
	if (cfg.block_time > cfg.block_time_max)
		return fail(err, name, max_line > time_line ? max_line : time_line,
			    "block_time is longer than block_time_max");
	*out = cfg;
	return 0;
}

int config_load(struct config *cfg, const char *path, struct error *err)
{
	FILE *f = fopen(path, "r");
	struct config tmp = *cfg;
	int rc;

	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		return error_errno(err, "%s", path);
	}
	rc = config_parse(&tmp, f, path, err);
	fclose(f);
	if (rc < 0)
		return -1;
	/* The system's group database, not the syntax: config_parse stays
	 * free of NSS lookups (unit tests, fuzzing). */
	if (tmp.socket_group[0] && getgrnam(tmp.socket_group) == NULL)
		return fail(err, path, tmp.socket_group_line, "socket_group: no such group: '%s'",
			    tmp.socket_group);
	*cfg = tmp;
	return 0;
}

bool config_port_counted(const struct config *cfg, uint16_t port)
{
	for (size_t i = 0; i < cfg->nports; i++)
		if (cfg->ports[i] == port)
			return true;
	return false;
}

void config_format_ports(const struct config *cfg, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < cfg->nports && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%u", i ? "," : "",
					 cfg->ports[i]);
}
