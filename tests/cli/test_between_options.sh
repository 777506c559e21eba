#!/bin/bash
# test_between_options.sh - the options of the rules between connections
# reach the core: on the takeover ping-pong sample (one client id, five
# connections), a takeover window shorter than any server's reaction takes
# the session_taken_over verdicts away, and a storm threshold of 2 makes the
# reconnect_storm that the default (10) does not.
. "$(dirname "$0")/lib.sh"
cap=$(sample ws-takeover-311.pcap)

count() { # PATTERN ARGS...
    local pattern=$1; shift
    "$MQTTKA" --json "$@" -r "$cap" | grep -c "$pattern" || true
}

taken=$(count '"verdict":"session_taken_over"')
[ "$taken" -ge 3 ] || fail "default: $taken session_taken_over verdicts, the sample has 4"
narrow=$(count '"verdict":"session_taken_over"' --takeover-window 0.000001)
[ "$narrow" -lt "$taken" ] || fail "--takeover-window 0.000001: still $narrow takeovers"

[ "$(count '"kind":"reconnect_storm"')" -eq 0 ] || fail "default: a reconnect_storm of 5 connections"
[ "$(count '"kind":"reconnect_storm"' --reconnect-storm 2,60)" -ge 1 ] ||
    fail "--reconnect-storm 2,60: no reconnect_storm"

# --connack-timeout and --mass-close are parsed and taken (the rules' own
# tests are in tests/unit/test_rules.c): the run still succeeds.
"$MQTTKA" -q --connack-timeout 0.5 --mass-close 2,1 --max-client-ids 100 -r "$cap" >/dev/null ||
    fail "the between options together: exit $?"
finish
