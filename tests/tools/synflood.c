/* synflood: send TCP SYNs from raw sockets, for the namespace labs only.
 *
 *   synflood [-6] -s SRC [-S NSRC] -d DST [-D NDST] [-p PORT] [-P SPORT | -b BASE]
 *            [-c COUNT] [-r RATE] [-G BURST] [-T FILE] [-j PROCS] [-I] [-X N[:LEN]]
 *
 * Sources SRC, SRC+1, ... (NSRC of them) and destinations DST ... (NDST) are
 * cycled; every SYN gets a fresh source port, so each is a new connection,
 * counting up from BASE (default 1024), unless -P fixes the source port
 * (retransmits of one connection).
 * RATE is SYNs per second (0: as fast as the socket takes them). Prints the
 * number sent and the elapsed time. Needs CAP_NET_RAW; run it inside a lab
 * namespace, never toward an address outside the lab.
 *
 * For the benchmarks:
 *   -G BURST  each source sends BURST SYNs in a row before the next one
 *             takes over (one bot at a time), instead of sources taking
 *             turns SYN by SYN; source ports then count up over all SYNs.
 *   -T FILE   write one line per SYN, "INDEX SRC BEFORE_NS AFTER_NS": the
 *             CLOCK_MONOTONIC time just before sendto and when it returned
 *             (on a veth the kernel forwards the packet inside sendto).
 *   -j PROCS  send from PROCS processes (SYN i from process i % PROCS), each
 *             at RATE / PROCS; not with -T.
 *   -I        steady intervals: never less than 1/RATE between two SYNs. By
 *             default a sender that fell behind (descheduled) catches up with
 *             a burst; with -I the rest of the schedule moves later instead,
 *             as a bot at RATE would.
 *   -X N[:LEN]  IPv6: N destination-options headers of LEN bytes (a multiple
 *             of 8, 8 to 256; default 8) before the TCP header, each one
 *             skippable option (type 0x1e, RFC 4727), as a receiver takes. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct opts {
	bool v6;
	uint8_t src[16], dst[16];
	uint32_t nsrc, ndst;
	uint16_t port;
	uint16_t sport;		/* 0: a fresh one per SYN */
	uint16_t sport_base;
	uint64_t count;
	uint64_t rate;
	uint32_t burst;		/* 0: sources take turns SYN by SYN */
	const char *times;	/* -T FILE */
	uint32_t procs;
	bool steady;		/* -I */
	uint32_t next_hdrs;	/* -X: destination-options headers ... */
	uint32_t hdr_len;	/* ... of this many bytes each */
};

#define PKT_MAX (40 + 64 * 256 + 20)	/* -X 64:256 */

static void usage(void)
{
	fprintf(stderr, "usage: synflood [-6] -s SRC [-S NSRC] -d DST [-D NDST] [-p PORT] "
			"[-P SPORT | -b BASE] [-c COUNT] [-r RATE] [-G BURST] [-T FILE] "
			"[-j PROCS] [-I] [-X N[:LEN]]\n");
	exit(2);
}

/* addr + n over the low 32 bits of an address of len bytes. */
static void addr_add(uint8_t *out, const uint8_t *base, size_t len, uint32_t n)
{
	uint32_t low;

	memcpy(out, base, len);
	memcpy(&low, out + len - 4, 4);
	low = htonl(ntohl(low) + n);
	memcpy(out + len - 4, &low, 4);
}

static uint32_t sum16(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* A 20-byte TCP SYN with its checksum over the pseudo-header. */
static void build_tcp(uint8_t *tcp, const uint8_t *src, const uint8_t *dst, size_t alen,
		      uint16_t sport, uint16_t dport, uint32_t seq)
{
	uint32_t sum;
	uint16_t csum;
	uint8_t pseudo_tail[4] = { 0, 6, 0, 20 };	/* zero, proto TCP, length 20 */

	memset(tcp, 0, 20);
	tcp[0] = (uint8_t)(sport >> 8);
	tcp[1] = (uint8_t)sport;
	tcp[2] = (uint8_t)(dport >> 8);
	tcp[3] = (uint8_t)dport;
	memcpy(tcp + 4, &(uint32_t){ htonl(seq) }, 4);
	tcp[12] = 5 << 4;
	tcp[13] = 0x02;			/* SYN */
	tcp[14] = 0xfa;			/* window 64240 */
	tcp[15] = 0xf0;
	sum = sum16(src, alen, 0);
	sum = sum16(dst, alen, sum);
	sum = sum16(pseudo_tail, 4, sum);
	sum = sum16(tcp, 20, sum);
	csum = fold(sum);
	memcpy(tcp + 16, &csum, 2);
}

static size_t build_packet(uint8_t *pkt, const struct opts *o, uint64_t i)
{
	uint8_t src[16], dst[16];
	size_t alen = o->v6 ? 16 : 4;
	uint64_t turn = o->burst ? i : i / o->nsrc;
	uint32_t srcn = (uint32_t)(o->burst ? i / o->burst % o->nsrc : i % o->nsrc);
	uint16_t sport = o->sport ? o->sport : (uint16_t)(o->sport_base + turn % (65536u - o->sport_base));

	addr_add(src, o->src, alen, srcn);
	addr_add(dst, o->dst, alen, (uint32_t)(i % o->ndst));
	if (o->v6) {
		size_t ext = (size_t)o->next_hdrs * o->hdr_len;

		memset(pkt, 0, 40);
		pkt[0] = 0x60;
		pkt[4] = (uint8_t)((ext + 20) >> 8);	/* payload length */
		pkt[5] = (uint8_t)(ext + 20);
		pkt[6] = o->next_hdrs ? 60 : 6;		/* next header */
		pkt[7] = 64;
		memcpy(pkt + 8, src, 16);
		memcpy(pkt + 24, dst, 16);
		for (uint32_t h = 0; h < o->next_hdrs; h++) {
			uint8_t *x = pkt + 40 + (size_t)h * o->hdr_len;

			memset(x, 0, o->hdr_len);
			x[0] = h + 1 < o->next_hdrs ? 60 : 6;
			x[1] = (uint8_t)(o->hdr_len / 8 - 1);
			x[2] = 0x1e;			/* skip if unknown */
			x[3] = (uint8_t)(o->hdr_len - 4);
		}
		build_tcp(pkt + 40 + ext, src, dst, 16, sport, o->port, (uint32_t)i);
		return 40 + ext + 20;
	}
	memset(pkt, 0, 20);
	pkt[0] = 0x45;
	pkt[3] = 40;			/* total length */
	pkt[8] = 64;
	pkt[9] = 6;
	memcpy(pkt + 12, src, 4);
	memcpy(pkt + 16, dst, 4);
	memcpy(pkt + 10, &(uint16_t){ fold(sum16(pkt, 20, 0)) }, 2);
	build_tcp(pkt + 20, src, dst, 4, sport, o->port, (uint32_t)i);
	return 40;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	int opt;
	const char *src = NULL, *dst = NULL;
	char *end;

	memset(o, 0, sizeof(*o));
	o->nsrc = o->ndst = 1;
	o->port = 25;
	o->sport_base = 1024;
	o->count = 1;
	o->procs = 1;
	o->hdr_len = 8;
	while ((opt = getopt(argc, argv, "6s:S:d:D:p:P:b:c:r:G:T:j:IX:")) != -1) {
		switch (opt) {
		case '6': o->v6 = true; break;
		case 's': src = optarg; break;
		case 'S': o->nsrc = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'd': dst = optarg; break;
		case 'D': o->ndst = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'p': o->port = (uint16_t)strtoul(optarg, NULL, 10); break;
		case 'P': o->sport = (uint16_t)strtoul(optarg, NULL, 10); break;
		case 'b': o->sport_base = (uint16_t)strtoul(optarg, NULL, 10); break;
		case 'c': o->count = strtoull(optarg, NULL, 10); break;
		case 'r': o->rate = strtoull(optarg, NULL, 10); break;
		case 'G': o->burst = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'T': o->times = optarg; break;
		case 'j': o->procs = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'I': o->steady = true; break;
		case 'X':
			o->next_hdrs = (uint32_t)strtoul(optarg, &end, 10);
			if (*end == ':')
				o->hdr_len = (uint32_t)strtoul(end + 1, NULL, 10);
			break;
		default: usage();
		}
	}
	if (o->procs == 0 || (o->procs > 1 && o->times))
		usage();
	if (o->next_hdrs && (!o->v6 || o->next_hdrs > 64 || o->hdr_len < 8 ||
			     o->hdr_len > 256 || o->hdr_len % 8 != 0))
		usage();
	if (!src || !dst || o->nsrc == 0 || o->ndst == 0 ||
	    inet_pton(o->v6 ? AF_INET6 : AF_INET, src, o->src) != 1 ||
	    inet_pton(o->v6 ? AF_INET6 : AF_INET, dst, o->dst) != 1)
		usage();
}

struct stamp {
	uint64_t before, after;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* SYNs first, first + step, ... below o->count at o->rate / step per
 * second. Returns how many were sent, or -1 on a send error. */
static int64_t send_share(const struct opts *o, int fd, uint64_t first, uint64_t step,
			  double start, struct stamp *stamps)
{
	uint8_t pkt[PKT_MAX];
	uint64_t sent = 0, nth = 0;
	double last = 0;

	for (uint64_t i = first; i < o->count; i += step, nth++) {
		struct sockaddr_storage ss = { 0 };
		socklen_t sl;
		size_t len = build_packet(pkt, o, i);
		uint64_t before;

		if (o->v6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			s6->sin6_family = AF_INET6;
			memcpy(&s6->sin6_addr, pkt + 24, 16);
			sl = sizeof(*s6);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			s4->sin_family = AF_INET;
			memcpy(&s4->sin_addr, pkt + 16, 4);
			sl = sizeof(*s4);
		}
		if (o->rate) {	/* keep to the schedule, not to the last send */
			double gap = (double)step / (double)o->rate;
			double due = start + (double)nth * gap;
			double wait;

			/* -I: not before a full interval after the last SYN; a late
			 * SYN moves the rest of the schedule, no burst. */
			if (o->steady && nth > 0 && due < last + gap) {
				start += last + gap - due;
				due = last + gap;
			}
			wait = due - now_s();
			if (wait > 0)
				nanosleep(&(struct timespec){ (time_t)wait,
							      (long)((wait - (time_t)wait) * 1e9) },
					  NULL);
		}
		last = now_s();
		before = stamps ? mono_ns() : 0;
		if (sendto(fd, pkt, len, 0, (struct sockaddr *)&ss, sl) < 0) {
			if (errno == ENOBUFS || errno == EAGAIN) {
				i -= step;	/* queue full: try this one again */
				nth--;
				continue;
			}
			perror("synflood: sendto");
			return -1;
		}
		if (stamps) {
			stamps[i].before = before;
			stamps[i].after = mono_ns();
		}
		sent++;
	}
	return (int64_t)sent;
}

static int write_stamps(const struct opts *o, const struct stamp *stamps)
{
	FILE *f = fopen(o->times, "w");
	uint8_t pkt[PKT_MAX];
	char a[INET6_ADDRSTRLEN];

	if (f == NULL) {
		perror(o->times);
		return -1;
	}
	for (uint64_t i = 0; i < o->count; i++) {
		build_packet(pkt, o, i);
		inet_ntop(o->v6 ? AF_INET6 : AF_INET, o->v6 ? pkt + 8 : pkt + 12, a, sizeof(a));
		fprintf(f, "%llu %s %llu %llu\n", (unsigned long long)i, a,
			(unsigned long long)stamps[i].before, (unsigned long long)stamps[i].after);
	}
	return fclose(f);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct stamp *stamps = NULL;
	int64_t sent = 0;
	double start;
	int fd, sndbuf = 4 << 20;

	parse_args(argc, argv, &o);
	fd = socket(o.v6 ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("synflood: raw socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (o.times && (stamps = calloc(o.count ? o.count : 1, sizeof(*stamps))) == NULL) {
		perror("synflood");
		return 1;
	}
	start = now_s();
	if (o.procs == 1) {
		sent = send_share(&o, fd, 0, 1, start, stamps);
		if (sent < 0)
			return 1;
	} else {
		for (uint32_t k = 0; k < o.procs; k++) {
			pid_t pid = fork();

			if (pid < 0) {
				perror("synflood: fork");
				return 1;
			}
			if (pid == 0)
				_exit(send_share(&o, fd, k, o.procs, start, NULL) < 0 ? 1 : 0);
		}
		for (uint32_t k = 0; k < o.procs; k++) {
			int status;

			if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
				return 1;
		}
		sent = (int64_t)o.count;
	}
	printf("sent %llu SYNs in %.3f s\n", (unsigned long long)sent, now_s() - start);
	if (stamps && write_stamps(&o, stamps) < 0)
		return 1;
	return 0;
}
