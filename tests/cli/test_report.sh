#!/bin/bash
# test_report.sh - mqttka --report as its readers get it. For every sample,
# a capture with a hole (a sample with one frame deleted by editcap) and a
# 10 000-connection bench capture (bench/gen_capture.c):
#   - the page is valid HTML to a strict parser (python3-html5lib) and
#     fetches nothing (check_report.py valid);
#   - headless Chromium renders it (six samples, the hole and the bench; the
#     other samples' markup stands for their DOM), and the rendered DOM
#     (--dump-dom) holds every connection, ping pair, unanswered PINGREQ,
#     finding, close and verdict of `mqttka --json` on the same capture
#     (check_report.py dom);
#   - the report leaves the text output as it was;
#   - the bench page stays under a size bound, and the report's memory
#     under a bound (peak RSS with the report minus without);
# then the caps (--report-detail, --report-rows), the unit test's pages
# (hostile strings, snapshots, a late-joined connection) through the
# parser, a screenshot, and a path that cannot be written.
#
#   test_report.sh MQTTKA SAMPLES TEST_REPORT GEN_CAPTURE PEAK_RSS
. "$(dirname "$0")/lib.sh"
UNIT=${3:?path of test_report}
GEN=${4:?path of gen_capture}
PEAK_RSS=${5:?path of peak_rss}
PY=/usr/bin/python3
CHECK="$PY $(cd "$(dirname "$0")" && pwd)/check_report.py"

# What the pages must not cost: 10 000 connections (every one a row and a
# client) in at most 16 MB of HTML, and the report at most 48 MiB of memory
# (with the sanitizers' overhead; about 8 MiB without).
BENCH_PAGE_MAX=$((16 * 1000 * 1000))
BENCH_RSS_EXTRA_MAX_KIB=$((48 * 1024))

[ -x "$PY" ] && "$PY" -c 'import html5lib' 2>/dev/null ||
    skip "python3-html5lib is not installed for $PY (apt-get install python3-html5lib)"
command -v chromium >/dev/null 2>&1 || skip "chromium is not installed (apt-get install chromium)"
need_jq

DEFAULT_DETAIL=25
DEFAULT_ROWS=10000

# chromium_run ARGS...: headless, offline, a fresh profile each time.
chromium_run() {
    local profile
    profile=$(mktemp -d "$TMP/chromium.XXXXXX")
    DBUS_SESSION_BUS_ADDRESS=disabled: timeout 600 chromium --headless --no-sandbox \
        --disable-gpu --disable-quic --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --user-data-dir="$profile" "$@" \
        2>>"$TMP/chromium.err"
    local status=$?
    rm -rf "$profile"
    return $status
}

# check_capture NAME CAPTURE [MQTTKA OPTIONS...]: the page of CAPTURE, valid,
# rendered, and drawing all that the JSON says. With RENDER=no the page's
# own markup stands for the DOM (it has no script to change it): for the
# variants of a capture Chromium has rendered already.
check_capture() {
    local name=$1 capture=$2
    shift 2
    local detail=$DEFAULT_DETAIL rows=$DEFAULT_ROWS a prev=
    for a in "$@"; do
        [ "$prev" = --report-detail ] && detail=$a
        [ "$prev" = --report-rows ] && rows=$a
        prev=$a
    done
    local page="$TMP/$name.html"
    "$MQTTKA" -q -r "$capture" --report "$page" "$@" >"$TMP/$name.txt" 2>"$TMP/$name.err"
    local status=$?
    if [ "$status" -ne 0 ]; then
        fail "$name: mqttka --report exited $status: $(head -c 300 "$TMP/$name.err")"
        return
    fi
    [ -s "$TMP/$name.err" ] && fail "$name: stderr: $(head -c 300 "$TMP/$name.err")"
    # The text output is the same with or without the report.
    "$MQTTKA" -q -r "$capture" >"$TMP/$name.plain.txt" 2>/dev/null
    cmp -s "$TMP/$name.txt" "$TMP/$name.plain.txt" || fail "$name: --report changed the text output"
    $CHECK valid "$page" --raw || fail "$name: the page is not valid or fetches something"
    "$MQTTKA" --json -r "$capture" >"$TMP/$name.json" 2>/dev/null
    if [ "${RENDER:-yes}" = no ]; then
        cp "$page" "$TMP/$name.dom"
    elif ! chromium_run --dump-dom "file://$page" >"$TMP/$name.dom"; then
        fail "$name: chromium could not render the page: $(tail -3 "$TMP/chromium.err")"
        return
    fi
    grep -q '</html>' "$TMP/$name.dom" || fail "$name: chromium's DOM is cut short"
    $CHECK dom "$TMP/$name.dom" "$TMP/$name.json" "$detail" "$rows" ||
        fail "$name: the rendered page does not draw what the JSON says"
}

# Every sample. Chromium renders a few that between them draw every part of
# the page (no connection, several, the rules between connections, a
# takeover, permessage-deflate, the screenshot's); the others' own markup is
# checked as their DOM (the page has no script): each Chromium start costs
# seconds, and every page passes the strict parser either way.
RENDERED="http-plain ws-broker-frozen ws-multi ws-refused-storm ws-takeover-5 ws-deflate-takeover"
for capture in $(all_samples); do
    name=$(basename "$capture" .pcap)
    case " $RENDERED " in
    *" $name "*) check_capture "$name" "$capture" ;;
    *) RENDER=no check_capture "$name" "$capture" ;;
    esac
done
if ! grep -q 'No MQTT connection was found' "$TMP/http-plain.html" 2>/dev/null; then
    fail "http-plain: the page does not say that no connection was found"
fi

# A capture with a hole: the PINGRESP of frame 18 deleted from a real
# capture. The capture_gap finding is drawn (check_report.py checks it).
if command -v editcap >/dev/null 2>&1 && [ -f "$SAMPLES/ws-311-healthy.pcap" ]; then
    editcap "$SAMPLES/ws-311-healthy.pcap" "$TMP/gap.pcap" 18 >/dev/null
    check_capture gap "$TMP/gap.pcap"
    grep -q 'class="gap"' "$TMP/gap.dom" || fail "gap: no capture gap drawn"
else
    fail "editcap (tshark's package) is needed to cut a frame from a sample"
fi

# The caps: two timelines, two rows out of four connections.
if [ -f "$SAMPLES/ws-multi.pcap" ]; then
    RENDER=no check_capture multi-detail "$SAMPLES/ws-multi.pcap" --report-detail 2
    RENDER=no check_capture multi-rows "$SAMPLES/ws-multi.pcap" --report-detail 1 --report-rows 2
    grep -q '2 more connections are counted above but not listed' "$TMP/multi-rows.html" ||
        fail "multi-rows: the page does not say that 2 connections are not listed"
    RENDER=no check_capture multi-none "$SAMPLES/ws-multi.pcap" --report-detail 0
fi

# 10 000 connections, 2 000 at a time (bench/run.sh's generator).
if "$GEN" -o "$TMP/bench.pcap" -n 10000 -c 2000 -d 60 -k 5 -s 1 >/dev/null 2>"$TMP/gen.err"; then
    check_capture bench "$TMP/bench.pcap"
    size=$(stat -c %s "$TMP/bench.html")
    [ "$size" -le "$BENCH_PAGE_MAX" ] || fail "bench: the page is $size bytes, over $BENCH_PAGE_MAX"
    [ "$(jq -c 'select(.type == "connection")' "$TMP/bench.json" | wc -l)" -eq 10000 ] ||
        fail "bench: the JSON does not hold 10000 connections"
    "$PEAK_RSS" "$TMP/rss.plain" "$MQTTKA" -q -r "$TMP/bench.pcap" >/dev/null 2>&1
    "$PEAK_RSS" "$TMP/rss.report" "$MQTTKA" -q -r "$TMP/bench.pcap" --report "$TMP/rss.html" \
        >/dev/null 2>&1
    extra=$(( $(cat "$TMP/rss.report") - $(cat "$TMP/rss.plain") ))
    echo "bench: page $size bytes; report memory $extra KiB"
    [ "$extra" -le "$BENCH_RSS_EXTRA_MAX_KIB" ] ||
        fail "bench: the report took $extra KiB, over $BENCH_RSS_EXTRA_MAX_KIB"
else
    fail "gen_capture failed: $(head -c 300 "$TMP/gen.err")"
fi

# The unit test's pages: hostile strings, caps, snapshots, odd times, a
# late-joined connection. Valid, and fetching nothing although their text
# holds "src=" (escaped).
mkdir -p "$TMP/unit"
"$UNIT" "$TMP/unit" >/dev/null || fail "test_report failed"
for page in "$TMP"/unit/*.html; do
    $CHECK valid "$page" || fail "$(basename "$page"): not valid or fetches something"
done
[ -f "$TMP/unit/hostile.html" ] && [ -f "$TMP/unit/late-join.html" ] ||
    fail "test_report wrote no hostile.html or late-join.html"

# A screenshot, as the README's.
if [ -f "$TMP/ws-broker-frozen.html" ]; then
    chromium_run --hide-scrollbars --window-size=1200,1600 --screenshot="$TMP/shot.png" \
        "file://$TMP/ws-broker-frozen.html" >/dev/null
    if [ "$(head -c 8 "$TMP/shot.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" != 89504e470d0a1a0a ]; then
        fail "chromium made no PNG screenshot"
    elif [ "$(stat -c %s "$TMP/shot.png")" -lt 20000 ]; then
        fail "the screenshot is suspiciously small ($(stat -c %s "$TMP/shot.png") bytes)"
    fi
fi

# A page that cannot be written: one line, exit 2, before reading.
capture=$(sample ws-broker-frozen.pcap)
run 2 -r "$capture" --report "$TMP/no/such/dir/page.html" &&
    { stderr_is_one_line "mqttka:" "--report" "No such file"; stdout_is_empty; }
run 2 -r "$capture" --report "$TMP" && stderr_is_one_line "mqttka:" "--report"
finish
