#!/bin/bash
# test_usage.sh - --help lists every option (and the man page documents it),
# --version works, and every kind of bad usage exits 2 with one line.
. "$(dirname "$0")/lib.sh"
MAN_PAGE=${3:-}

options=(-r --read -f --filter -i --interface -w --write -c --count -D --list-interfaces
         -Z --relinquish-privileges -q --quiet --json --fail-on --tolerance
         --grace --pingresp-deadline --idle-timeouts --max-flows --max-findings
         --max-inflated-message --max-inflate-ratio --max-inflate-memory
         -h --help -V --version -p --no-promiscuous-mode -B --buffer-size
         -s --snapshot-length -C -G -W -n --time-format --write-flagged
         --report --report-detail --report-rows -v --verbose --format --community-id-seed
         --max-clients --client-rows --takeover-window --connack-timeout --reconnect-storm
         --mass-close --max-client-ids)

run 0 --help && {
    for o in "${options[@]}"; do
        grep -qE -- "(^|[ ,])$o([ ,=]|$)" "$TMP/out" || fail "--help does not list $o"
    done
    [ -s "$TMP/err" ] && fail "--help wrote to stderr"
}
run 0 -h
if [ -n "$MAN_PAGE" ]; then
    for o in "${options[@]}"; do
        groff_form=${o//-/\\-}
        grep -qF -- "$groff_form" "$MAN_PAGE" || fail "the man page does not document $o"
    done
    # Options that exist only in some builds are documented in every one.
    for o in --metrics --metrics-clients; do
        grep -qF -- "${o//-/\\-}" "$MAN_PAGE" || fail "the man page does not document $o"
    done
    for section in "CSV OUTPUT" "EXIT STATUS" "JSON OUTPUT" "TEXT OUTPUT" "FINDINGS" "VERDICTS"; do
        grep -q "^\.SH $section" "$MAN_PAGE" || fail "the man page lacks $section"
    done
fi

run 0 --version && { grep -q '^mqttka [0-9]' "$TMP/out" || fail "--version: $(cat "$TMP/out")"; }

bad_usage() {
    local want=$1
    shift
    run 2 "$@" && { stderr_is_one_line "mqttka:" "$want"; stdout_is_empty; }
}
bad_usage "unknown option" --bogus
bad_usage "unknown option" -x
bad_usage "no input" 
bad_usage "needs an argument" -r
bad_usage "needs an argument" --fail-on
bad_usage "not both" -i lo -r /dev/null
bad_usage "live capture only" -r x -w x.pcapng
bad_usage "live capture only" -r x -Z nobody
bad_usage "needs a file name" -i lo -w -
bad_usage "-c takes" -r x -c 0
bad_usage "-c takes" -r x -c many
bad_usage "--fail-on" -r x --fail-on info
bad_usage "--tolerance" -r x --tolerance 1
bad_usage "--tolerance" -r x --tolerance -1,2
bad_usage "--grace" -r x --grace 7,abc
bad_usage "--pingresp-deadline" -r x --pingresp-deadline 10
bad_usage "--idle-timeouts" -r x --idle-timeouts 1,2,3,4,5
bad_usage "--idle-timeouts" -r x --idle-timeouts 0
bad_usage "--max-flows" -r x --max-flows 0
bad_usage "--max-findings" -r x --max-findings many
bad_usage "--max-inflated-message" -r x --max-inflated-message 0
bad_usage "--max-inflate-ratio" -r x --max-inflate-ratio 1033
bad_usage "--max-inflate-memory" -r x --max-inflate-memory 64k
bad_usage "--takeover-window" -r x --takeover-window 0
bad_usage "--connack-timeout" -r x --connack-timeout -1
bad_usage "--reconnect-storm" -r x --reconnect-storm 1,60
bad_usage "--reconnect-storm" -r x --reconnect-storm 10
bad_usage "--mass-close" -r x --mass-close 5,0
bad_usage "--max-client-ids" -r x --max-client-ids 0
bad_usage "twice" -r x -f tcp udp
bad_usage "-f was given twice" -r x -f tcp -f udp
bad_usage "live capture only" -r x -p
bad_usage "live capture only" -r x -B 1024
bad_usage "live capture only" -r x -s 96
bad_usage "-B takes" -i lo -B 0
bad_usage "-s takes" -i lo -s 262145
bad_usage "-C rotates the -w file" -i lo -C 10
bad_usage "-G rotates the -w file" -i lo -G 60
bad_usage "-W counts" -i lo -w x.pcap -W 3
bad_usage "-C takes" -i lo -w x.pcap -C 0
bad_usage "-C takes" -i lo -w x.pcap -C 10x
bad_usage "-G takes" -i lo -w x.pcap -G 0
bad_usage "-W takes" -i lo -w x.pcap -C 1 -W 0
bad_usage "--time-format" -r x --time-format local
bad_usage "--write-flagged needs a file name" -r x --write-flagged -
bad_usage "name the same file" -i lo -w x.pcapng --write-flagged x.pcapng
bad_usage "no file matches" -r "$TMP/none-*.pcap"
bad_usage "standard input (-r -) cannot be read with other files" -r - -r "$TMP"
bad_usage "missing.pcap: No such file or directory" -r x "$TMP/missing.pcap"
# -n is accepted, as tcpdump's.
run 2 -n -r "$TMP/missing.pcap" && stderr_is_one_line "missing.pcap" "No such file"
bad_usage "--report needs a file name" -r x --report -
bad_usage "--report needs a file name" -r x --report ""
bad_usage "--report-detail" -r x --report y --report-detail many
bad_usage "--report-detail" -r x --report y --report-detail 1001
bad_usage "--report-rows" -r x --report y --report-rows -1
bad_usage "works with --report" -r x --report-rows 5

finish
