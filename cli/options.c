/*
 * options.c - getopt_long over mqttka's options; tolerances and caps go
 * straight into the core's mqttka_config.
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

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
/* -c: any count a 64-bit record counter can reach. */
#define MAX_OPTION_COUNT 0xffffffffffffffffULL
/* --metrics-clients: series of a Prometheus metric (labels) are what a
 * scraper stores; a thousand is already many. */
#define MAX_OPTION_METRICS_CLIENTS 1000UL
#define DEFAULT_METRICS_CLIENTS 10

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
};

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
    fputs("Usage: mqttka -r FILE [options] [FILTER...]\n"
          "       mqttka -i IFACE [-w FILE] [-Z USER] [options] [FILTER...]\n"
          "       mqttka -D\n"
          "Explain MQTT keepalive behaviour (over WebSocket or plain TCP) in a capture,\n"
          "or live on a network interface.\n"
          "\n"
          "Input:\n"
          "  -r, --read FILE           read a pcap or pcapng file; '-' reads standard input\n"
          "  -i, --interface IFACE     capture live on IFACE ('any': every interface); stop\n"
          "                            with Ctrl-C (SIGINT) or SIGTERM to get the summaries\n"
          "  -f, --filter EXPR         BPF filter as tcpdump takes it (also: the words after\n"
          "                            the options); with -r frame numbers stay those of\n"
          "                            the file\n"
          "  -c, --count N             stop after N records (those matching the filter)\n"
          "  -D, --list-interfaces     list the interfaces -i can capture on, and exit\n"
          "\n"
          "Live capture:\n"
          "  -w, --write FILE          also save the captured records: pcapng when FILE\n"
          "                            ends in .pcapng, else pcap (frames numbered as shown)\n"
          "  -Z, --relinquish-privileges USER\n"
          "                            once the capture is open, run as USER (when started\n"
          "                            as root); FILE is then created as USER\n"
          "\n"
          "Output:\n"
          "  -q, --quiet               print only the per-connection summaries and the fleet\n"
          "  -v, --verbose             text: every finding in full, also each repeat of a\n"
          "                            cause and every ping's pingresp_rtt\n"
          "      --format FORMAT       text (default), json (JSON Lines: one object per event,\n"
          "                            per connection, the fleet and the capture) or csv\n"
          "                            (a header, then one line per connection)\n"
          "      --json                the same as --format json\n"
          "      --community-id-seed N the Community ID's seed, 0..65535     [0]\n"
          "      --fail-on LEVEL       exit 1 if a finding of LEVEL (warn or error) or worse\n"
          "                            was reported (its kinds are named on stderr)\n"
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
            "Limits:\n"
            "      --max-flows N         TCP flows tracked at once            [%zu]\n"
            "      --max-findings N      findings kept in each connection's summary [%zu]\n"
            "\n"
            "  -h, --help                show this help and exit\n"
            "  -V, --version             show the version and exit\n"
            "\n"
            "Exit status: 0 done (live: stopped by a signal, -c or a closed output); 1 a\n"
            "finding reached --fail-on; 2 bad usage, unreadable or truncated input, an\n"
            "interface that cannot be opened. See mqttka(1).\n",
            d.n_idle_timeouts ? "" : "none", d.max_flows, d.max_summary_findings);
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
static bool parse_seconds_percent(const char *text, mqttka_time *seconds, uint32_t *percent)
{
    const char *comma = strchr(text, ',');
    if (!comma)
        return false;
    char head[64];
    size_t head_len = (size_t)(comma - text);
    if (head_len >= sizeof head)
        return false;
    memcpy(head, text, head_len);
    head[head_len] = '\0';
    mqttka_time s;
    unsigned long p;
    if (!parse_seconds(head, &s) || !parse_count(comma + 1, MAX_OPTION_PERCENT, &p))
        return false;
    *seconds = s;
    *percent = (uint32_t)p;
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

/* Joins the words left after the options into one filter, as tcpdump does. */
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

options_result options_parse(int argc, char **argv, cli_options *opts, char *err,
                             size_t err_size)
{
    memset(opts, 0, sizeof *opts);
    opts->format = OUTPUT_TEXT;
    opts->fail_on = FAIL_NEVER;
    opts->metrics_clients = DEFAULT_METRICS_CLIENTS;
    mqttka_config_default(&opts->config);

    opterr = 0; /* our messages, one line each */
    optind = 1;
    int c;
    bool seen_help = false, seen_version = false, seen_list = false;
    while ((c = getopt_long(argc, argv, ":r:f:i:w:c:DZ:qvhV", long_options, NULL)) != -1) {
        const char *arg = optarg;
        unsigned long count;
        switch (c) {
        case 'r': opts->read_path = arg; break;
        case 'f': opts->filter = arg; break;
        case 'i': opts->interface = arg; break;
        case 'w': opts->write_path = arg; break;
        case 'Z': opts->drop_user = arg; break;
        case 'D': seen_list = true; break;
        case 'c': {
            unsigned long long n;
            if (!parse_count64(arg, &n) || n == 0) {
                snprintf(err, err_size, "-c takes a number of records from 1, not '%s'", arg);
                return OPTIONS_USAGE_ERROR;
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
                return OPTIONS_USAGE_ERROR;
            }
            break;
        case OPT_COMMUNITY_ID_SEED:
            if (!parse_count(arg, 65535, &count)) {
                snprintf(err, err_size, "--community-id-seed takes a number from 0 to 65535, not '%s'",
                         arg);
                return OPTIONS_USAGE_ERROR;
            }
            opts->community_id_seed = (uint16_t)count;
            break;
        case OPT_METRICS:
            if (!*arg || !strrchr(arg, ':')) {
                snprintf(err, err_size, "--metrics takes ADDR:PORT (127.0.0.1:9464, [::1]:9464), not '%s'",
                         arg);
                return OPTIONS_USAGE_ERROR;
            }
            opts->metrics_listen = arg;
            break;
        case OPT_METRICS_CLIENTS:
            if (!parse_count(arg, MAX_OPTION_METRICS_CLIENTS, &count)) {
                snprintf(err, err_size, "--metrics-clients takes a number from 0 to %lu, not '%s'",
                         MAX_OPTION_METRICS_CLIENTS, arg);
                return OPTIONS_USAGE_ERROR;
            }
            opts->metrics_clients = (unsigned)count;
            break;
        case OPT_FAIL_ON:
            if (strcmp(arg, "warn") == 0) {
                opts->fail_on = FAIL_ON_WARN;
            } else if (strcmp(arg, "error") == 0) {
                opts->fail_on = FAIL_ON_ERROR;
            } else {
                snprintf(err, err_size, "--fail-on takes 'warn' or 'error', not '%s'", arg);
                return OPTIONS_USAGE_ERROR;
            }
            break;
        case OPT_TOLERANCE:
            if (!parse_seconds_percent(arg, &opts->config.tol_min, &opts->config.tol_percent)) {
                snprintf(err, err_size, "--tolerance takes MIN_SECONDS,PERCENT, not '%s'", arg);
                return OPTIONS_USAGE_ERROR;
            }
            break;
        case OPT_GRACE:
            if (!parse_seconds_percent(arg, &opts->config.grace_min,
                                       &opts->config.grace_percent)) {
                snprintf(err, err_size, "--grace takes MIN_SECONDS,PERCENT, not '%s'", arg);
                return OPTIONS_USAGE_ERROR;
            }
            break;
        case OPT_PINGRESP_DEADLINE:
            if (!parse_seconds_percent(arg, &opts->config.resp_max,
                                       &opts->config.resp_percent)) {
                snprintf(err, err_size,
                         "--pingresp-deadline takes MAX_SECONDS,PERCENT, not '%s'", arg);
                return OPTIONS_USAGE_ERROR;
            }
            break;
        case OPT_IDLE_TIMEOUTS:
            if (!parse_idle_timeouts(arg, &opts->config)) {
                snprintf(err, err_size,
                         "--idle-timeouts takes up to %d positive SECONDS separated by "
                         "commas, or 'none', not '%s'",
                         MQTTKA_MAX_IDLE_TIMEOUTS, arg);
                return OPTIONS_USAGE_ERROR;
            }
            break;
        case OPT_MAX_FLOWS:
            if (!parse_count(arg, MAX_OPTION_FLOWS, &count) || count == 0) {
                snprintf(err, err_size, "--max-flows takes a number from 1 to %lu, not '%s'",
                         MAX_OPTION_FLOWS, arg);
                return OPTIONS_USAGE_ERROR;
            }
            opts->config.max_flows = count;
            break;
        case OPT_MAX_FINDINGS:
            if (!parse_count(arg, MAX_OPTION_FINDINGS, &count)) {
                snprintf(err, err_size, "--max-findings takes a number from 0 to %lu, not '%s'",
                         MAX_OPTION_FINDINGS, arg);
                return OPTIONS_USAGE_ERROR;
            }
            opts->config.max_summary_findings = count;
            break;
        case ':':
            snprintf(err, err_size, "option '%s' needs an argument", option_name(argv, optind));
            return OPTIONS_USAGE_ERROR;
        default:
            if (optopt && optopt < 256)
                snprintf(err, err_size, "unknown option '-%c'", optopt);
            else
                snprintf(err, err_size, "unknown option '%s'", option_name(argv, optind));
            return OPTIONS_USAGE_ERROR;
        }
    }
    if (seen_help)
        return OPTIONS_HELP;
    if (seen_version)
        return OPTIONS_VERSION;
    if (seen_list)
        return OPTIONS_LIST_INTERFACES;

    if (optind < argc) {
        if (opts->filter) {
            snprintf(err, err_size, "a filter was given twice: with -f and as '%s'",
                     argv[optind]);
            return OPTIONS_USAGE_ERROR;
        }
        opts->filter_storage = join_words(argv + optind, argc - optind);
        if (!opts->filter_storage) {
            snprintf(err, err_size, "out of memory");
            return OPTIONS_USAGE_ERROR;
        }
        opts->filter = opts->filter_storage;
    }
    if (opts->interface && opts->read_path) {
        snprintf(err, err_size, "give either -r FILE or -i IFACE, not both");
        return OPTIONS_USAGE_ERROR;
    }
    if (!opts->interface && !opts->read_path) {
        snprintf(err, err_size,
                 "no input: give -r FILE (-r - for standard input) or -i IFACE (-D lists them)");
        return OPTIONS_USAGE_ERROR;
    }
    if (!opts->interface && opts->metrics_listen) {
        snprintf(err, err_size, "--metrics works with a live capture only: add -i IFACE");
        return OPTIONS_USAGE_ERROR;
    }
    if (!opts->interface && (opts->write_path || opts->drop_user)) {
        snprintf(err, err_size, "%s works with a live capture only: add -i IFACE",
                 opts->write_path ? "-w" : "-Z");
        return OPTIONS_USAGE_ERROR;
    }
    if (opts->write_path && (!*opts->write_path || strcmp(opts->write_path, "-") == 0)) {
        /* Standard output carries the findings; the capture needs a file of its own. */
        snprintf(err, err_size, "-w needs a file name (standard output carries the findings)");
        return OPTIONS_USAGE_ERROR;
    }
    return OPTIONS_RUN;
}

void options_release(cli_options *opts)
{
    free(opts->filter_storage);
    opts->filter_storage = NULL;
    opts->filter = NULL;
}
