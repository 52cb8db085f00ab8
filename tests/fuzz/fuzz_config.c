/* config_parse over arbitrary bytes, through fmemopen as config_load reads
 * a file. Checks the documented contract: on error the config is untouched
 * and the message names the file; on success the settings are consistent. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "duration.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.conf"

static void check_valid(const struct config *cfg)
{
	char ports[CONFIG_MAX_PORTS * 6 + 1];

	FUZZ_CHECK(cfg->nports >= 1 && cfg->nports <= CONFIG_MAX_PORTS);
	for (size_t i = 0; i < cfg->nports; i++) {
		FUZZ_CHECK(cfg->ports[i] != 0);
		FUZZ_CHECK(config_port_counted(cfg, cfg->ports[i]));
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(cfg->ports[i] != cfg->ports[j]);
	}
	FUZZ_CHECK(cfg->threshold >= 1);
	FUZZ_CHECK(cfg->window >= 1 && cfg->window <= 86400);
	FUZZ_CHECK(cfg->min_destinations >= 1 &&
		   cfg->min_destinations <= CONFIG_MAX_MIN_DESTINATIONS);
	FUZZ_CHECK(cfg->block_time <= cfg->block_time_max);
	FUZZ_CHECK(cfg->block_time_max >= 1 && cfg->block_time_max <= DURATION_MAX);
	FUZZ_CHECK(cfg->block_scope == SCOPE_SMTP || cfg->block_scope == SCOPE_ALL);
	FUZZ_CHECK(cfg->max_hosts >= 16 && cfg->max_blocked >= 1);
	FUZZ_CHECK(fuzz_terminated(cfg->table, sizeof(cfg->table)) && cfg->table[0]);
	FUZZ_CHECK(fuzz_terminated(cfg->whitelist, sizeof(cfg->whitelist)) &&
		   cfg->whitelist[0] == '/');
	FUZZ_CHECK(fuzz_terminated(cfg->state_file, sizeof(cfg->state_file)) &&
		   cfg->state_file[0] == '/');
	FUZZ_CHECK(fuzz_terminated(cfg->socket, sizeof(cfg->socket)) && cfg->socket[0] == '/');
	FUZZ_CHECK(fuzz_terminated(cfg->socket_group, sizeof(cfg->socket_group)));
	FUZZ_CHECK(fuzz_terminated(cfg->leases_file, sizeof(cfg->leases_file)) &&
		   cfg->leases_file[0] == '/');
	FUZZ_CHECK(fuzz_terminated(cfg->on_block, sizeof(cfg->on_block)) &&
		   (cfg->on_block[0] == '\0' || cfg->on_block[0] == '/'));
	config_format_ports(cfg, ports, sizeof(ports));
	FUZZ_CHECK(fuzz_terminated(ports, sizeof(ports)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg, before;
	struct error e;
	const char *err = e.msg;
	FILE *f = fuzz_open(data, size);
	int rc;

	if (f == NULL)
		return 0;
	config_defaults(&cfg);
	before = cfg;
	memset(&e, 0x5a, sizeof(e));
	rc = config_parse(&cfg, f, NAME, &e);
	fclose(f);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc < 0) {
		FUZZ_CHECK(memcmp(&cfg, &before, sizeof(cfg)) == 0);
		FUZZ_CHECK(fuzz_terminated(err, sizeof(e.msg)));
		FUZZ_CHECK(strncmp(err, NAME ":", strlen(NAME ":")) == 0);
		return 0;
	}
	check_valid(&cfg);
	return 0;
}
