/*
 * options.c - getopt_long over mqttka's options; tolerances and caps go
 * straight into the core's mqttka_config.
 */
#include "options.h"

#include "clients.h"
#include "report_model.h"

#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* Seconds accepted by the tolerance options: more than 1.5 times the
 * largest keepalive (65535 s) with room to spare, and far from overflowing
 * a microsecond count. */
#define MAX_OPTION_SECONDS 1000000.0
/* Percentages of KAe: 1000 % is already ten keepalives. */
#define MAX_OPTION_PERCENT 1000UL
/* --max-flows / --max-findings: large enough for any real capture, small
 * enough that a typo cannot ask the core for terabytes. */
#define MAX_OPTION_FLOWS 10000000UL
#define MAX_OPTION_FINDINGS 1000000UL
/* Client ids followed between connections: 40 bytes each (core/between.h). */
#define MAX_OPTION_CLIENT_IDS 10000000UL
/* A storm's or a mass close's connection count. */
#define MAX_OPTION_RULE_COUNT 1000000UL
/* The inflate caps: a message may be as large as MQTT allows (256 MiB)
 * and more; memory up to 1 TiB; a ratio past DEFLATE's 1032 is no cap. */
#define MAX_OPTION_BYTES (1ULL << 40)
#define MAX_OPTION_RATIO 1032UL
/* TLS records kept per flow: 24 bytes each, so 1M is 24 MB for one flow. */
#define MAX_OPTION_TLS_RECORDS 1000000UL
/* -c: any count a 64-bit record counter can reach. */
#define MAX_OPTION_COUNT 0xffffffffffffffffULL
/* --metrics-clients: series of a Prometheus metric (labels) are what a
 * scraper stores; a thousand is already many. */
#define MAX_OPTION_METRICS_CLIENTS 1000UL
#define DEFAULT_METRICS_CLIENTS 10
/* -B in KiB: 4 GiB is more than any kernel grants. */
#define MAX_OPTION_BUFFER_KIB 4194304UL
/* -C: a terabyte per file. */
#define MAX_OPTION_FILE_BYTES 1000000000000ULL
/* -G: a year of seconds; -W: files in a ring. */
#define MAX_OPTION_ROTATE_SECONDS 31622400UL
#define MAX_OPTION_RING_FILES 1000000UL
/* Capture files named on the command line, globs expanded. */
#define MAX_OPTION_FILES 100000u

enum {
    OPT_JSON = 256,
    OPT_FAIL_ON,
    OPT_TOLERANCE,
    OPT_GRACE,
    OPT_PINGRESP_DEADLINE,
    OPT_IDLE_TIMEOUTS,
    OPT_MAX_FLOWS,
    OPT_MAX_FINDINGS,
    OPT_FORMAT,
    OPT_COMMUNITY_ID_SEED,
    OPT_METRICS,
    OPT_METRICS_CLIENTS,
    OPT_MAX_CLIENTS,
    OPT_CLIENT_ROWS,
    OPT_TIME_FORMAT,
    OPT_WRITE_FLAGGED,
    OPT_REPORT,
    OPT_TLS_KEYLOG,
    OPT_REPORT_DETAIL,
    OPT_REPORT_ROWS,
    OPT_MAX_INFLATED_MESSAGE,
    OPT_MAX_INFLATE_RATIO,
    OPT_MAX_INFLATE_MEMORY,
    OPT_MAX_TLS_RECORDS,
    OPT_MAX_TLS_MEMORY,
    OPT_MAX_TLS_DECRYPT_MEMORY,
    OPT_TAKEOVER_WINDOW,
    OPT_CONNACK_TIMEOUT,
    OPT_RECONNECT_STORM,
    OPT_MASS_CLOSE,
    OPT_MAX_CLIENT_IDS,
};

static const char short_options[] = ":r:f:i:w:c:DZ:qvhVpB:s:C:G:W:n";

static const struct option long_options[] = {
    {"read", required_argument, NULL, 'r'},
    {"filter", required_argument, NULL, 'f'},
    {"interface", required_argument, NULL, 'i'},
    {"write", required_argument, NULL, 'w'},
    {"count", required_argument, NULL, 'c'},
    {"list-interfaces", no_argument, NULL, 'D'},
    {"relinquish-privileges", required_argument, NULL, 'Z'},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"json", no_argument, NULL, OPT_JSON},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"community-id-seed", required_argument, NULL, OPT_COMMUNITY_ID_SEED},
    {"max-clients", required_argument, NULL, OPT_MAX_CLIENTS},
    {"client-rows", required_argument, NULL, OPT_CLIENT_ROWS},
#ifdef MQTTKA_HAVE_METRICS
    {"metrics", required_argument, NULL, OPT_METRICS},
    {"metrics-clients", required_argument, NULL, OPT_METRICS_CLIENTS},
#endif
    {"fail-on", required_argument, NULL, OPT_FAIL_ON},
    {"tolerance", required_argument, NULL, OPT_TOLERANCE},
    {"grace", required_argument, NULL, OPT_GRACE},
    {"pingresp-deadline", required_argument, NULL, OPT_PINGRESP_DEADLINE},
    {"idle-timeouts", required_argument, NULL, OPT_IDLE_TIMEOUTS},
    {"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
    {"max-findings", required_argument, NULL, OPT_MAX_FINDINGS},
    {"time-format", required_argument, NULL, OPT_TIME_FORMAT},
    {"write-flagged", required_argument, NULL, OPT_WRITE_FLAGGED},
    {"no-promiscuous-mode", no_argument, NULL, 'p'},
    {"buffer-size", required_argument, NULL, 'B'},
    {"snapshot-length", required_argument, NULL, 's'},
    {"report", required_argument, NULL, OPT_REPORT},
    {"tls-keylog", required_argument, NULL, OPT_TLS_KEYLOG},
    {"report-detail", required_argument, NULL, OPT_REPORT_DETAIL},
    {"report-rows", required_argument, NULL, OPT_REPORT_ROWS},
    {"max-inflated-message", required_argument, NULL, OPT_MAX_INFLATED_MESSAGE},
    {"max-inflate-ratio", required_argument, NULL, OPT_MAX_INFLATE_RATIO},
    {"max-inflate-memory", required_argument, NULL, OPT_MAX_INFLATE_MEMORY},
    {"max-tls-records", required_argument, NULL, OPT_MAX_TLS_RECORDS},
    {"max-tls-memory", required_argument, NULL, OPT_MAX_TLS_MEMORY},
    {"max-tls-decrypt-memory", required_argument, NULL, OPT_MAX_TLS_DECRYPT_MEMORY},
    {"takeover-window", required_argument, NULL, OPT_TAKEOVER_WINDOW},
    {"connack-timeout", required_argument, NULL, OPT_CONNACK_TIMEOUT},
    {"reconnect-storm", required_argument, NULL, OPT_RECONNECT_STORM},
    {"mass-close", required_argument, NULL, OPT_MASS_CLOSE},
    {"max-client-ids", required_argument, NULL, OPT_MAX_CLIENT_IDS},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* Seconds for --help: "1", "0.5". */
static double as_seconds(mqttka_time t)
{
    return (double)t / 1e6;
}

void options_print_help(FILE *out)
{
    mqttka_config d;
    mqttka_config_default(&d);
    fputs("Usage: mqttka -r FILE [-r FILE]... [FILE...] [options] [[--] FILTER...]\n"
          "       mqttka -i IFACE [-w FILE [-C SIZE] [-G S] [-W N]] [-Z USER] [options]\n"
          "              [FILTER...]\n"
          "       mqttka -D\n"
          "Explain MQTT keepalive behaviour (over WebSocket or plain TCP) in a capture,\n"
          "or live on a network interface.\n"
          "\n"
          "Input:\n"
          "  -r, --read FILE           read a pcap or pcapng file, plain or compressed with\n"
          "                            gzip, zstd or lz4; '-' reads standard input; give\n"
          "                            -r again, or more FILEs after the options, or a\n"
          "                            quoted glob ('ring*.pcap'): read as one capture in\n"
          "                            order of time, frames numbered across the files\n"
          "  -i, --interface IFACE     capture live on IFACE ('any': every interface); stop\n"
          "                            with Ctrl-C (SIGINT) or SIGTERM to get the summaries\n"
          "  -f, --filter EXPR         BPF filter as tcpdump takes it (also: the words after\n"
          "                            the options that are not files, or after --); with\n"
          "                            -r frame numbers stay those of the file\n"
          "  -c, --count N             stop after N records (those matching the filter)\n"
          "  -D, --list-interfaces     list the interfaces -i can capture on, and exit\n"
          "\n"
          "Live capture (as tcpdump):\n"
          "  -p, --no-promiscuous-mode no promiscuous mode (it is on by default)\n"
          "  -B, --buffer-size KIB     kernel capture buffer in KiB           [2048]\n"
          "  -s, --snapshot-length N   bytes kept of each packet; 0: 262144   [262144]\n"
          "  -w, --write FILE          also save the captured records: pcapng when FILE\n"
          "                            ends in .pcapng, else pcap (frames numbered as shown)\n"
          "  -C SIZE                   with -w: a new file once FILE passes SIZE millions of\n"
          "                            bytes (suffix k, m, g: KiB, MiB, GiB); FILE, FILE1, ...\n"
          "  -G SECONDS                with -w: a new file every SECONDS (FILE may hold\n"
          "                            strftime(3) conversions)\n"
          "  -W N                      with -C: a ring of N files (FILE0 .. FILE<N-1>);\n"
          "                            with -G alone: stop after N files\n"
          "  -Z, --relinquish-privileges USER\n"
          "                            once the capture is open, run as USER (when started\n"
          "                            as root); FILE is then created as USER\n"
          "  -n                        accepted, as tcpdump's (nothing is resolved anyway)\n"
          "\n",
          out);
    /* Two strings: C11 compilers need take no literal over 4095 bytes. */
    fputs("Output:\n"
          "  -q, --quiet               print only the per-connection summaries, the clients\n"
          "                            and the fleet\n"
          "  -v, --verbose             text: every finding in full, also each repeat of a\n"
          "                            cause and every ping's pingresp_rtt\n"
          "      --format FORMAT       text (default), json (JSON Lines: one object per event,\n"
          "                            per connection, per client, the fleet and the capture)\n"
          "                            or csv (a header, then one line per connection)\n"
          "      --json                the same as --format json\n"
          "      --community-id-seed N the Community ID's seed, 0..65535     [0]\n"
          "      --max-clients N       clients the per-client view keeps (300 to 460\n"
          "                            bytes each); later ones are counted, not kept [10000]\n"
          "      --client-rows N       rows of the text per-client table          [20]\n"
          "      --time-format FORMAT  text times: relative (seconds since the first\n"
          "                            record), utc, or epoch               [relative]\n"
          "      --fail-on LEVEL       exit 1 if a finding of LEVEL (warn or error) or worse\n"
          "                            was reported (its kinds are named on stderr)\n"
          "      --write-flagged FILE  save to FILE (pcapng) only the packets of connections\n"
          "                            with a warn or error finding, each finding a comment\n"
          "                            on its packet (-r and -i; see mqttka(1) for the\n"
          "                            memory it keeps)\n"
          "      --report FILE         also write an HTML report to FILE (one page, nothing\n"
          "                            fetched); live: at the end, and on SIGUSR1\n"
          "      --tls-keylog KEYS     decrypt TLS 1.2 and 1.3 (mqtts, wss) with the secrets\n"
          "                            of an NSS key log (SSLKEYLOGFILE); never printed\n"
#ifdef MQTTKA_HAVE_METRICS
          "\n"
          "Live monitoring (-i):\n"
          "      --metrics ADDR:PORT   serve Prometheus metrics at http://ADDR:PORT/metrics\n"
          "      --metrics-clients N   client ids with reconnect series of their own [10]\n"
#endif
          "\n"
          "Tolerances (seconds may have decimals; PERCENT is of the effective keepalive):\n",
          out);
    fprintf(out,
            "      --tolerance MIN_S,PERCENT\n"
            "                            tol = max(MIN_S, PERCENT of KAe)     [%g,%u]\n"
            "      --grace MIN_S,PERCENT broker grace G = max(MIN_S, PERCENT of KAe) [%g,%u]\n"
            "      --pingresp-deadline MAX_S,PERCENT\n"
            "                            T_resp = min(MAX_S, PERCENT of KAe)  [%g,%u]\n"
            "      --idle-timeouts S[,S...]\n"
            "                            idle timeouts of proxies and load balancers, up\n"
            "                            to %d, or 'none'                      [",
            as_seconds(d.tol_min), (unsigned)d.tol_percent, as_seconds(d.grace_min),
            (unsigned)d.grace_percent, as_seconds(d.resp_max), (unsigned)d.resp_percent,
            MQTTKA_MAX_IDLE_TIMEOUTS);
    for (size_t i = 0; i < d.n_idle_timeouts && i < MQTTKA_MAX_IDLE_TIMEOUTS; i++)
        fprintf(out, "%s%g", i ? "," : "", as_seconds(d.idle_timeouts[i]));
    fprintf(out,
            "%s]\n"
            "\n"
            "Between connections (one client id, or address, across its connections):\n"
            "      --takeover-window S   a server close this soon after another connection\n"
            "                            presented the same client id is a takeover [%g]\n"
            "      --connack-timeout S   a CONNECT unanswered this long: connack_missing [%g]\n"
            "      --reconnect-storm N,S N connections of one client within S: a storm [%u,%g]\n"
            "      --mass-close N,S      N connections closed by one side within S   [%u,%g]\n"
            "\n"
            "Limits:\n"
            "      --max-flows N         TCP flows tracked at once            [%zu]\n"
            "      --max-findings N      findings kept in each connection's summary [%zu]\n"
            "      --report-detail N     connections the report draws in detail   [%u]\n"
            "      --report-rows N       connections and clients the report lists [%u]\n"
            "      --max-inflated-message BYTES\n"
            "                            bytes inflated from one permessage-deflate\n"
            "                            message                              [%zu]\n"
            "      --max-inflate-ratio N inflated bytes of a direction past its first MiB,\n"
            "                            per compressed byte (0: no cap)      [%u]\n"
            "      --max-inflate-memory BYTES\n"
            "                            zlib's memory for all connections    [%zu]\n"
            "      --max-tls-records N   small records a TLS flow keeps to infer its\n"
            "                            keepalive without keys               [%zu]\n"
            "      --max-tls-memory BYTES\n"
            "                            those records' memory, all flows     [%zu]\n"
            "      --max-tls-decrypt-memory BYTES\n"
            "                            memory of the connections being\n"
            "                            decrypted (--tls-keylog), all of them [%zu]\n"
            "      --max-client-ids N    client ids and addresses the rules between\n"
            "                            connections keep                     [%zu]\n"
            "\n"
            "  -h, --help                show this help and exit\n"
            "  -V, --version             show the version and exit\n"
            "\n"
            "Exit status: 0 done (live: stopped by a signal, -c or a closed output); 1 a\n"
            "finding reached --fail-on; 2 bad usage, unreadable or truncated input, an\n"
            "interface that cannot be opened. See mqttka(1).\n",
            d.n_idle_timeouts ? "" : "none", as_seconds(d.takeover_window),
            as_seconds(d.connack_timeout), (unsigned)d.storm_connections,
            as_seconds(d.storm_window), (unsigned)d.mass_close_connections,
            as_seconds(d.mass_close_window), d.max_flows, d.max_summary_findings,
            REPORT_DETAIL_DEFAULT, REPORT_ROWS_DEFAULT,
            d.max_inflated_message_bytes, (unsigned)d.max_inflate_ratio,
            d.max_inflate_memory_bytes, d.max_tls_records, d.max_tls_memory_bytes,
            d.max_tls_decrypt_memory_bytes,
            d.max_client_ids);
}

/* Decimal seconds ("1", "0.5") as microseconds, within 0..MAX_OPTION_SECONDS. */
static bool parse_seconds(const char *text, mqttka_time *out)
{
    if (!*text)
        return false;
    char *end;
    errno = 0;
    double seconds = strtod(text, &end);
    if (errno != 0 || *end != '\0' || !(seconds >= 0.0 && seconds <= MAX_OPTION_SECONDS))
        return false;
    *out = (mqttka_time)(seconds * 1e6 + 0.5);
    return true;
}

/* A whole number in 0..max, digits only. */
static bool parse_count(const char *text, unsigned long max, unsigned long *out)
{
    if (*text < '0' || *text > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || value > max)
        return false;
    *out = (unsigned long)value;
    return true;
}

/* A whole number from 0 to MAX_OPTION_COUNT, digits only. */
static bool parse_count64(const char *text, unsigned long long *out)
{
    if (*text < '0' || *text > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || value > MAX_OPTION_COUNT)
        return false;
    *out = value;
    return true;
}

/* "SECONDS,PERCENT". */
/* "HEAD,TAIL": HEAD copied into `head` (NUL-terminated); returns TAIL, or
 * NULL without a comma or with a HEAD too long for `head`. */
static const char *split_at_comma(const char *text, char *head, size_t size)
{
    const char *comma = strchr(text, ',');
    if (!comma || (size_t)(comma - text) >= size)
        return NULL;
    memcpy(head, text, (size_t)(comma - text));
    head[comma - text] = '\0';
    return comma + 1;
}

static bool parse_seconds_percent(const char *text, mqttka_time *seconds, uint32_t *percent)
{
    char head[64];
    const char *tail = split_at_comma(text, head, sizeof head);
    mqttka_time s;
    unsigned long p;
    if (!tail || !parse_seconds(head, &s) || !parse_count(tail, MAX_OPTION_PERCENT, &p))
        return false;
    *seconds = s;
    *percent = (uint32_t)p;
    return true;
}

/* "N,S": a count from 2 to `max` and seconds above 0 (a rule's threshold and
 * window). */
static bool parse_count_seconds(const char *text, unsigned long max, uint32_t *count,
                                mqttka_time *seconds)
{
    char head[64];
    const char *tail = split_at_comma(text, head, sizeof head);
    unsigned long n;
    mqttka_time s;
    if (!tail || !parse_count(head, max, &n) || n < 2 || !parse_seconds(tail, &s) || s == 0)
        return false;
    *count = (uint32_t)n;
    *seconds = s;
    return true;
}

/* "S[,S...]" (each > 0) or "none". */
static bool parse_idle_timeouts(const char *text, mqttka_config *cfg)
{
    mqttka_time found[MQTTKA_MAX_IDLE_TIMEOUTS];
    size_t n = 0;
    if (strcmp(text, "none") != 0) {
        const char *p = text;
        for (;;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            char item[64];
            if (n == MQTTKA_MAX_IDLE_TIMEOUTS || len >= sizeof item)
                return false;
            memcpy(item, p, len);
            item[len] = '\0';
            if (!parse_seconds(item, &found[n]) || found[n] == 0)
                return false;
            n++;
            if (!comma)
                break;
            p = comma + 1;
        }
    }
    for (size_t i = 0; i < n; i++)
        cfg->idle_timeouts[i] = found[i];
    cfg->n_idle_timeouts = n;
    return true;
}

/* Joins words into one filter, as tcpdump does. */
static char *join_words(char **words, int count)
{
    size_t len = 1;
    for (int i = 0; i < count; i++)
        len += strlen(words[i]) + 1;
    char *joined = malloc(len);
    if (!joined)
        return NULL;
    joined[0] = '\0';
    for (int i = 0; i < count; i++) {
        if (i)
            strcat(joined, " ");
        strcat(joined, words[i]);
    }
    return joined;
}

/* The option as the user typed it, for messages. */
static const char *option_name(char **argv, int index)
{
    return index > 0 && argv[index - 1] ? argv[index - 1] : "?";
}

/* Does a long option (by the name after "--", up to '=' or the end, or by
 * an unambiguous prefix, as getopt_long takes it) need an argument? */
static bool long_option_takes_argument(const char *name)
{
    size_t len = strcspn(name, "=");
    const struct option *found = NULL;
    size_t matches = 0;
    for (const struct option *o = long_options; o->name; o++) {
        if (strncmp(o->name, name, len) != 0)
            continue;
        if (strlen(o->name) == len)
            return o->has_arg == required_argument && name[len] != '=';
        found = o;
        matches++;
    }
    return matches == 1 && found->has_arg == required_argument && name[len] != '=';
}

/* Where "--" ends the options (argc when it does not): the first "--" that
 * is not the argument of an option. Words after it are the filter. */
static int find_end_of_options(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            return i;
        if (a[0] != '-' || a[1] == '\0')
            continue;
        if (a[1] == '-') {
            if (long_option_takes_argument(a + 2))
                i++;
            continue;
        }
        for (const char *c = a + 1; *c; c++) {
            const char *o = strchr(short_options + 1, *c);
            if (o && *c != ':' && o[1] == ':') {
                if (c[1] == '\0')
                    i++; /* "-r FILE": the next word is the argument */
                break;   /* "-rFILE": the rest is */
            }
        }
    }
    return argc;
}

static bool has_glob_characters(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

/* A file that exists and is not a directory. */
static bool names_a_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* A name only a capture file has (a BPF expression never ends so): .pcap,
 * .pcapng, .cap, tcpdump's ring names .pcap1, .pcap2..., and the
 * compressed .gz, .zst, .lz4. */
static bool looks_like_capture_name(const char *w)
{
    static const char *const suffixes[] = {".pcapng", ".pcap", ".cap", ".gz", ".zst", ".lz4"};
    size_t len = strlen(w);
    size_t digits = 0;
    while (digits < len && w[len - 1 - digits] >= '0' && w[len - 1 - digits] <= '9')
        digits++;
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t n = strlen(suffixes[i]);
        if (len > n && strcasecmp(w + len - n, suffixes[i]) == 0)
            return true;
        if (digits && i == 1 && len - digits > n &&
            strncasecmp(w + len - digits - n, suffixes[i], n) == 0)
            return true;
    }
    return false;
}

static bool add_read_path(cli_options *opts, const char *path, char *err, size_t err_size)
{
    if (opts->n_read == MAX_OPTION_FILES) {
        snprintf(err, err_size, "more than %u capture files", MAX_OPTION_FILES);
        return false;
    }
    char *copy = strdup(path);
    char **grown = copy ? realloc(opts->read_paths, (opts->n_read + 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(copy);
        snprintf(err, err_size, "out of memory");
        return false;
    }
    opts->read_paths = grown;
    opts->read_paths[opts->n_read++] = copy;
    return true;
}

/* An -r argument: a file, "-", or a glob mqttka expands itself (quoted,
 * or from a shell that left it as it was) when no file has that name. */
static bool add_read_argument(cli_options *opts, const char *arg, char *err, size_t err_size)
{
    if (strcmp(arg, "-") == 0 || !has_glob_characters(arg) || names_a_file(arg))
        return add_read_path(opts, arg, err, err_size);
    glob_t g;
    int rc = glob(arg, 0, NULL, &g);
    if (rc == GLOB_NOMATCH) {
        snprintf(err, err_size, "-r '%s': no file matches", arg);
        return false;
    }
    if (rc != 0) {
        snprintf(err, err_size, "-r '%s': %s", arg,
                 rc == GLOB_NOSPACE ? "out of memory" : "cannot read a folder it names");
        return false;
    }
    bool ok = true;
    for (size_t i = 0; ok && i < g.gl_pathc; i++)
        ok = add_read_path(opts, g.gl_pathv[i], err, err_size);
    globfree(&g);
    return ok;
}

/* -C SIZE: millions of bytes, or KiB, MiB, GiB with a suffix (tcpdump 4.99). */
static bool parse_file_size(const char *text, uint64_t *bytes)
{
    if (*text < '0' || *text > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(text, &end, 10);
    uint64_t unit = 1000000;
    if (*end) {
        if (end[1] != '\0')
            return false;
        switch (*end) {
        case 'k': case 'K': unit = 1024; break;
        case 'm': case 'M': unit = 1024 * 1024; break;
        case 'g': case 'G': unit = 1024 * 1024 * 1024; break;
        default: return false;
        }
    }
    if (errno != 0 || n == 0 || n > MAX_OPTION_FILE_BYTES / unit)
        return false;
    *bytes = n * unit;
    return true;
}

/* The words after the options (before any "--"), and those after "--".
 * Reading files: leading words that name existing files are files; the
 * first that does not starts the filter (a word with a capture file's name
 * that does not exist is an error, not a filter). With "--", every word
 * before it is a file. Live: all of them are the filter. */
static bool split_words(cli_options *opts, char **words, int n_words, char **after,
                        int n_after, bool dashdash, char *err, size_t err_size)
{
    int first_filter = 0;
    if (opts->n_read) {
        for (; first_filter < n_words; first_filter++) {
            const char *w = words[first_filter];
            if (!dashdash && !names_a_file(w)) {
                if (looks_like_capture_name(w)) {
                    struct stat st;
                    snprintf(err, err_size, "%s: %s", w,
                             stat(w, &st) == 0 ? "is a directory" : strerror(ENOENT));
                    return false;
                }
                break;
            }
            if (!add_read_path(opts, w, err, err_size))
                return false;
        }
    }
    int n_filter = n_words - first_filter + n_after;
    if (n_filter == 0)
        return true;
    if (opts->filter) {
        snprintf(err, err_size, "a filter was given twice: with -f and as '%s'",
                 first_filter < n_words ? words[first_filter] : after[0]);
        return false;
    }
    char **all = malloc((size_t)n_filter * sizeof *all);
    if (!all) {
        snprintf(err, err_size, "out of memory");
        return false;
    }
    int k = 0;
    for (int i = first_filter; i < n_words; i++)
        all[k++] = words[i];
    for (int i = 0; i < n_after; i++)
        all[k++] = after[i];
    opts->filter_storage = join_words(all, k);
    free(all);
    if (!opts->filter_storage) {
        snprintf(err, err_size, "out of memory");
        return false;
    }
    opts->filter = opts->filter_storage;
    return true;
}

/* Options that only make sense with some others. */
static bool check_combinations(const cli_options *opts, bool live_only_given,
                               const char *live_only, char *err, size_t err_size)
{
    if (opts->interface && opts->n_read) {
        snprintf(err, err_size, "give either -r FILE or -i IFACE, not both");
        return false;
    }
    if (!opts->interface && !opts->n_read) {
        snprintf(err, err_size,
                 "no input: give -r FILE (-r - for standard input) or -i IFACE (-D lists them)");
        return false;
    }
    if (!opts->interface && (opts->write_path || opts->drop_user || live_only_given)) {
        snprintf(err, err_size, "%s works with a live capture only: add -i IFACE",
                 opts->write_path ? "-w" : opts->drop_user ? "-Z" : live_only);
        return false;
    }
    if (opts->write_path && (!*opts->write_path || strcmp(opts->write_path, "-") == 0)) {
        /* Standard output carries the findings; the capture needs a file of its own. */
        snprintf(err, err_size, "-w needs a file name (standard output carries the findings)");
        return false;
    }
    if (!opts->write_path && (opts->ring_file_bytes || opts->ring_seconds || opts->ring_files)) {
        snprintf(err, err_size, "%s rotates the -w file: add -w FILE",
                 opts->ring_file_bytes ? "-C" : opts->ring_seconds ? "-G" : "-W");
        return false;
    }
    if (opts->ring_files && !opts->ring_file_bytes && !opts->ring_seconds) {
        snprintf(err, err_size, "-W counts the files of -C or -G: add one of them");
        return false;
    }
    if (opts->write_flagged &&
        (!*opts->write_flagged || strcmp(opts->write_flagged, "-") == 0)) {
        snprintf(err, err_size,
                 "--write-flagged needs a file name (standard output carries the findings)");
        return false;
    }
    if (!opts->interface && opts->metrics_listen) {
        snprintf(err, err_size, "--metrics works with a live capture only: add -i IFACE");
        return false;
    }
    if (opts->write_flagged && opts->write_path &&
        strcmp(opts->write_flagged, opts->write_path) == 0) {
        snprintf(err, err_size, "--write-flagged and -w name the same file");
        return false;
    }
    return true;
}

options_result options_parse(int argc, char **argv, cli_options *opts, char *err,
                             size_t err_size)
{
    memset(opts, 0, sizeof *opts);
    opts->format = OUTPUT_TEXT;
    opts->fail_on = FAIL_NEVER;
    opts->metrics_clients = DEFAULT_METRICS_CLIENTS;
    opts->max_clients = CLIENTS_MAX_DEFAULT;
    opts->client_rows = CLIENT_ROWS_DEFAULT;
    opts->time_format = TIME_RELATIVE;
    opts->promiscuous = true;
    opts->snaplen = OPTIONS_SNAPLEN_MAX;
    opts->report_detail = REPORT_DETAIL_DEFAULT;
    opts->report_rows = REPORT_ROWS_DEFAULT;
    mqttka_config_default(&opts->config);

    /* getopt sees the words before "--" only: after it, the filter. */
    int end = find_end_of_options(argc, argv);
    bool dashdash = end < argc;
    opterr = 0; /* our messages, one line each */
    optind = 1;
    int c;
    bool seen_help = false, seen_version = false, seen_list = false;
    const char *live_only = NULL; /* the first of -p, -B, -s given */
    const char *report_limit_option = NULL; /* the last of --report-detail, --report-rows */
    const char **read_args = NULL;
    size_t n_read_args = 0;
    options_result result = OPTIONS_USAGE_ERROR;
    while ((c = getopt_long(end, argv, short_options, long_options, NULL)) != -1) {
        const char *arg = optarg;
        unsigned long count;
        switch (c) {
        case 'r': {
            const char **grown = realloc(read_args, (n_read_args + 1) * sizeof *grown);
            if (!grown) {
                snprintf(err, err_size, "out of memory");
                goto out;
            }
            read_args = grown;
            read_args[n_read_args++] = arg;
            break;
        }
        case 'f':
            if (opts->filter) {
                snprintf(err, err_size,
                         "-f was given twice ('%s' and '%s'): give one expression, joined "
                         "with 'and' if both apply",
                         opts->filter, arg);
                goto out;
            }
            opts->filter = arg;
            break;
        case 'i': opts->interface = arg; break;
        case 'w': opts->write_path = arg; break;
        case 'Z': opts->drop_user = arg; break;
        case 'D': seen_list = true; break;
        case 'n': break; /* tcpdump's "no name resolution": mqttka resolves none */
        case 'p':
            opts->promiscuous = false;
            live_only = live_only ? live_only : "-p";
            break;
        case 'B':
            if (!parse_count(arg, MAX_OPTION_BUFFER_KIB, &count) || count == 0) {
                snprintf(err, err_size, "-B takes a buffer size in KiB from 1 to %lu, not '%s'",
                         MAX_OPTION_BUFFER_KIB, arg);
                goto out;
            }
            opts->buffer_bytes = (uint64_t)count * 1024;
            live_only = live_only ? live_only : "-B";
            break;
        case 's':
            if (!parse_count(arg, OPTIONS_SNAPLEN_MAX, &count)) {
                snprintf(err, err_size, "-s takes a snapshot length from 0 to %u, not '%s'",
                         OPTIONS_SNAPLEN_MAX, arg);
                goto out;
            }
            opts->snaplen = count ? (uint32_t)count : OPTIONS_SNAPLEN_MAX;
            live_only = live_only ? live_only : "-s";
            break;
        case 'C':
            if (!parse_file_size(arg, &opts->ring_file_bytes)) {
                snprintf(err, err_size,
                         "-C takes a file size in millions of bytes (or with k, m, g: KiB, "
                         "MiB, GiB), not '%s'",
                         arg);
                goto out;
            }
            break;
        case 'G':
            if (!parse_count(arg, MAX_OPTION_ROTATE_SECONDS, &count) || count == 0) {
                snprintf(err, err_size, "-G takes whole seconds from 1 to %lu, not '%s'",
                         MAX_OPTION_ROTATE_SECONDS, arg);
                goto out;
            }
            opts->ring_seconds = (uint32_t)count;
            break;
        case 'W':
            if (!parse_count(arg, MAX_OPTION_RING_FILES, &count) || count == 0) {
                snprintf(err, err_size, "-W takes a number of files from 1 to %lu, not '%s'",
                         MAX_OPTION_RING_FILES, arg);
                goto out;
            }
            opts->ring_files = (uint32_t)count;
            break;
        case 'c': {
            unsigned long long n;
            if (!parse_count64(arg, &n) || n == 0) {
                snprintf(err, err_size, "-c takes a number of records from 1, not '%s'", arg);
                goto out;
            }
            opts->count = n;
            break;
        }
        case 'q': opts->quiet = true; break;
        case 'v': opts->verbose = true; break;
        case 'h': seen_help = true; break;
        case 'V': seen_version = true; break;
        case OPT_JSON: opts->format = OUTPUT_JSON; break;
        case OPT_FORMAT:
            if (strcmp(arg, "text") == 0) {
                opts->format = OUTPUT_TEXT;
            } else if (strcmp(arg, "json") == 0) {
                opts->format = OUTPUT_JSON;
            } else if (strcmp(arg, "csv") == 0) {
                opts->format = OUTPUT_CSV;
            } else {
                snprintf(err, err_size, "--format takes 'text', 'json' or 'csv', not '%s'", arg);
                goto out;
            }
            break;
        case OPT_COMMUNITY_ID_SEED:
            if (!parse_count(arg, 65535, &count)) {
                snprintf(err, err_size, "--community-id-seed takes a number from 0 to 65535, not '%s'",
                         arg);
                goto out;
            }
            opts->community_id_seed = (uint16_t)count;
            break;
        case OPT_METRICS:
            if (!*arg || !strrchr(arg, ':')) {
                snprintf(err, err_size, "--metrics takes ADDR:PORT (127.0.0.1:9464, [::1]:9464), not '%s'",
                         arg);
                goto out;
            }
            opts->metrics_listen = arg;
            break;
        case OPT_MAX_CLIENTS:
            if (!parse_count(arg, CLIENTS_MAX_LIMIT, &count)) {
                snprintf(err, err_size, "--max-clients takes a number from 0 to %lu, not '%s'",
                         (unsigned long)CLIENTS_MAX_LIMIT, arg);
                goto out;
            }
            opts->max_clients = count;
            break;
        case OPT_CLIENT_ROWS:
            if (!parse_count(arg, CLIENTS_MAX_LIMIT, &count)) {
                snprintf(err, err_size, "--client-rows takes a number from 0 to %lu, not '%s'",
                         (unsigned long)CLIENTS_MAX_LIMIT, arg);
                goto out;
            }
            opts->client_rows = count;
            break;
        case OPT_METRICS_CLIENTS:
            if (!parse_count(arg, MAX_OPTION_METRICS_CLIENTS, &count)) {
                snprintf(err, err_size, "--metrics-clients takes a number from 0 to %lu, not '%s'",
                         MAX_OPTION_METRICS_CLIENTS, arg);
                goto out;
            }
            opts->metrics_clients = (unsigned)count;
            break;
        case OPT_TIME_FORMAT:
            if (strcmp(arg, "relative") == 0) {
                opts->time_format = TIME_RELATIVE;
            } else if (strcmp(arg, "utc") == 0) {
                opts->time_format = TIME_UTC;
            } else if (strcmp(arg, "epoch") == 0) {
                opts->time_format = TIME_EPOCH;
            } else {
                snprintf(err, err_size,
                         "--time-format takes 'relative', 'utc' or 'epoch', not '%s'", arg);
                goto out;
            }
            break;
        case OPT_WRITE_FLAGGED: opts->write_flagged = arg; break;
        case OPT_FAIL_ON:
            if (strcmp(arg, "warn") == 0) {
                opts->fail_on = FAIL_ON_WARN;
            } else if (strcmp(arg, "error") == 0) {
                opts->fail_on = FAIL_ON_ERROR;
            } else {
                snprintf(err, err_size, "--fail-on takes 'warn' or 'error', not '%s'", arg);
                goto out;
            }
            break;
        case OPT_TOLERANCE:
            if (!parse_seconds_percent(arg, &opts->config.tol_min, &opts->config.tol_percent)) {
                snprintf(err, err_size, "--tolerance takes MIN_SECONDS,PERCENT, not '%s'", arg);
                goto out;
            }
            break;
        case OPT_GRACE:
            if (!parse_seconds_percent(arg, &opts->config.grace_min,
                                       &opts->config.grace_percent)) {
                snprintf(err, err_size, "--grace takes MIN_SECONDS,PERCENT, not '%s'", arg);
                goto out;
            }
            break;
        case OPT_PINGRESP_DEADLINE:
            if (!parse_seconds_percent(arg, &opts->config.resp_max,
                                       &opts->config.resp_percent)) {
                snprintf(err, err_size,
                         "--pingresp-deadline takes MAX_SECONDS,PERCENT, not '%s'", arg);
                goto out;
            }
            break;
        case OPT_IDLE_TIMEOUTS:
            if (!parse_idle_timeouts(arg, &opts->config)) {
                snprintf(err, err_size,
                         "--idle-timeouts takes up to %d positive SECONDS separated by "
                         "commas, or 'none', not '%s'",
                         MQTTKA_MAX_IDLE_TIMEOUTS, arg);
                goto out;
            }
            break;
        case OPT_TAKEOVER_WINDOW:
        case OPT_CONNACK_TIMEOUT: {
            bool takeover = c == OPT_TAKEOVER_WINDOW;
            mqttka_time t;
            if (!parse_seconds(arg, &t) || t == 0) {
                snprintf(err, err_size, "%s takes seconds above 0, not '%s'",
                         takeover ? "--takeover-window" : "--connack-timeout", arg);
                goto out;
            }
            if (takeover)
                opts->config.takeover_window = t;
            else
                opts->config.connack_timeout = t;
            break;
        }
        case OPT_RECONNECT_STORM:
        case OPT_MASS_CLOSE: {
            bool storm = c == OPT_RECONNECT_STORM;
            uint32_t n;
            mqttka_time t;
            if (!parse_count_seconds(arg, MAX_OPTION_RULE_COUNT, &n, &t)) {
                snprintf(err, err_size, "%s takes N,SECONDS (N from 2 to %lu), not '%s'",
                         storm ? "--reconnect-storm" : "--mass-close", MAX_OPTION_RULE_COUNT,
                         arg);
                goto out;
            }
            if (storm) {
                opts->config.storm_connections = n;
                opts->config.storm_window = t;
            } else {
                opts->config.mass_close_connections = n;
                opts->config.mass_close_window = t;
            }
            break;
        }
        case OPT_MAX_CLIENT_IDS:
            if (!parse_count(arg, MAX_OPTION_CLIENT_IDS, &count) || count == 0) {
                snprintf(err, err_size,
                         "--max-client-ids takes a number from 1 to %lu, not '%s'",
                         MAX_OPTION_CLIENT_IDS, arg);
                goto out;
            }
            opts->config.max_client_ids = count;
            break;
        case OPT_MAX_FLOWS:
            if (!parse_count(arg, MAX_OPTION_FLOWS, &count) || count == 0) {
                snprintf(err, err_size, "--max-flows takes a number from 1 to %lu, not '%s'",
                         MAX_OPTION_FLOWS, arg);
                goto out;
            }
            opts->config.max_flows = count;
            break;
        case OPT_MAX_FINDINGS:
            if (!parse_count(arg, MAX_OPTION_FINDINGS, &count)) {
                snprintf(err, err_size, "--max-findings takes a number from 0 to %lu, not '%s'",
                         MAX_OPTION_FINDINGS, arg);
                goto out;
            }
            opts->config.max_summary_findings = count;
            break;
        case OPT_REPORT: opts->report_path = arg; break;
        case OPT_TLS_KEYLOG: opts->tls_keylog_path = arg; break;
        case OPT_REPORT_DETAIL:
        case OPT_REPORT_ROWS: {
            bool detail = c == OPT_REPORT_DETAIL;
            unsigned long max = detail ? REPORT_DETAIL_MAX : REPORT_ROWS_MAX;
            if (!parse_count(arg, max, &count)) {
                snprintf(err, err_size, "%s takes a number from 0 to %lu, not '%s'",
                         detail ? "--report-detail" : "--report-rows", max, arg);
                goto out;
            }
            if (detail)
                opts->report_detail = count;
            else
                opts->report_rows = count;
            report_limit_option = detail ? "--report-detail" : "--report-rows";
            break;
        }
        case OPT_MAX_TLS_RECORDS:
            if (!parse_count(arg, MAX_OPTION_TLS_RECORDS, &count)) {
                snprintf(err, err_size, "--max-tls-records takes a number from 0 to %lu, not '%s'",
                         MAX_OPTION_TLS_RECORDS, arg);
                goto out;
            }
            opts->config.max_tls_records = count;
            break;
        case OPT_MAX_TLS_MEMORY:
        case OPT_MAX_TLS_DECRYPT_MEMORY:
        case OPT_MAX_INFLATED_MESSAGE:
        case OPT_MAX_INFLATE_MEMORY: {
            unsigned long long bytes = 0;
            if (!parse_count64(arg, &bytes) || bytes == 0 || bytes > MAX_OPTION_BYTES ||
                bytes > SIZE_MAX) {
                snprintf(err, err_size, "%s takes a number of bytes from 1 to %llu, not '%s'",
                         c == OPT_MAX_INFLATED_MESSAGE ? "--max-inflated-message"
                         : c == OPT_MAX_TLS_MEMORY     ? "--max-tls-memory"
                         : c == OPT_MAX_TLS_DECRYPT_MEMORY ? "--max-tls-decrypt-memory"
                                                       : "--max-inflate-memory",
                         MAX_OPTION_BYTES, arg);
                goto out;
            }
            if (c == OPT_MAX_TLS_MEMORY)
                opts->config.max_tls_memory_bytes = (size_t)bytes;
            else if (c == OPT_MAX_TLS_DECRYPT_MEMORY)
                opts->config.max_tls_decrypt_memory_bytes = (size_t)bytes;
            else if (c == OPT_MAX_INFLATED_MESSAGE)
                opts->config.max_inflated_message_bytes = (size_t)bytes;
            else
                opts->config.max_inflate_memory_bytes = (size_t)bytes;
            break;
        }
        case OPT_MAX_INFLATE_RATIO:
            if (!parse_count(arg, MAX_OPTION_RATIO, &count)) {
                snprintf(err, err_size,
                         "--max-inflate-ratio takes a number from 0 to %lu, not '%s'",
                         MAX_OPTION_RATIO, arg);
                goto out;
            }
            opts->config.max_inflate_ratio = (uint32_t)count;
            break;
        case ':':
            snprintf(err, err_size, "option '%s' needs an argument", option_name(argv, optind));
            goto out;
        default:
            if (optopt && optopt < 256)
                snprintf(err, err_size, "unknown option '-%c'", optopt);
            else
                snprintf(err, err_size, "unknown option '%s'", option_name(argv, optind));
            goto out;
        }
    }
    if (seen_help) {
        result = OPTIONS_HELP;
        goto out;
    }
    if (seen_version) {
        result = OPTIONS_VERSION;
        goto out;
    }
    if (seen_list) {
        result = OPTIONS_LIST_INTERFACES;
        goto out;
    }
    for (size_t i = 0; i < n_read_args; i++)
        if (!add_read_argument(opts, read_args[i], err, err_size))
            goto out;
    if (!split_words(opts, argv + optind, end - optind, argv + end + (dashdash ? 1 : 0),
                     argc - end - (dashdash ? 1 : 0), dashdash, err, err_size))
        goto out;
    if (!check_combinations(opts, live_only != NULL, live_only, err, err_size))
        goto out;
    if (opts->report_path && (!*opts->report_path || strcmp(opts->report_path, "-") == 0)) {
        /* Standard output carries the findings; the page needs a file of its own. */
        snprintf(err, err_size, "--report needs a file name (standard output carries the findings)");
        goto out;
    }
    if (report_limit_option && !opts->report_path) {
        snprintf(err, err_size, "%s works with --report FILE", report_limit_option);
        goto out;
    }
    result = OPTIONS_RUN;
out:
    free(read_args);
    return result;
}

void options_release(cli_options *opts)
{
    for (size_t i = 0; i < opts->n_read; i++)
        free(opts->read_paths[i]);
    free(opts->read_paths);
    opts->read_paths = NULL;
    opts->n_read = 0;
    free(opts->filter_storage);
    opts->filter_storage = NULL;
    opts->filter = NULL;
}
