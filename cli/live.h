/*
 * live.h - mqttka -i: capture on an interface and report as it happens.
 */
#ifndef MQTTKA_CLI_LIVE_H
#define MQTTKA_CLI_LIVE_H

#include "options.h"

/*
 * Captures on opts->interface until SIGINT/SIGTERM, -c records, a closed
 * output or a capture error; then prints every connection's summary (open
 * ones as `open`) and libpcap's counters (stderr). Returns the exit status:
 * 0 stopped (a closed output pipe included), 1 --fail-on reached, 2 the
 * interface, the filter, -Z or -w could not be set up, or the capture or an
 * output failed (one line on stderr says which).
 */
int live_run(const cli_options *opts);

#endif
