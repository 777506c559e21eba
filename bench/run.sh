#!/bin/bash
# bench/run.sh - mqttka's benchmarks, side by side on the same files.
#
#   bench/run.sh [throughput|ratio|small|memory|duration|callgrind|deflate|all]...   (default: all)
#
#   throughput  one capture (~1.2 M packets); per tool the median of REPS runs
#               of CPU time (user+sys), packets/s and peak RSS: the bare read
#               loop (the floor; and floor_64k, the same loop reading through
#               a 64 KiB stdio buffer as mqttka does, to show what of the
#               ratio is that buffer's), mqttka -r (text), mqttka --json -r, tshark
#               doing the nearest equivalent work (stock + ws_mqtt.lua), and
#               tshark with the plugin; then the ratios of issue 6's targets.
#   ratio       the throughput capture's mqttka -r / floor ratio alone, from
#               RATIO_REPS (15) interleaved runs of floor, floor_64k, mqttka.
#   small       the keepalive-heavy capture of small packets (pings and short
#               PUBLISHes, most connections plain TCP): SMALL_REPS (15)
#               interleaved runs of floor, floor_64k, mqttka -r, -q -r and
#               --json -r, each one's CPU time as a multiple of the floor's
#               (issue 12: mqttka -r at most 2 x), then callgrind Ir/packet
#               on a twentieth of the connections (the same mix).
#   memory      peak RSS of mqttka -r at 1k, 10k, 100k and 1M concurrent
#               connections (--short captures: handshake + one ping each).
#               Every connection presents its own client id ("bench-N"),
#               so the tables of client ids are in the figure: the core's
#               (--max-client-ids, 65 536) and the CLI's per-client view
#               (--max-clients, 10 000) fill to their caps from 100k on.
#   duration    peak RSS at 1x and 10x the duration, same concurrency (10k):
#               long-lived connections, and connections that turn over.
#   callgrind   instructions per packet under valgrind --tool=callgrind on a
#               fixed capture, and the profile's top entries.
#   deflate     the same under permessage-deflate (gen_capture --deflate):
#               Ir per compressed message and per inflated byte.
#
# Environment: BUILD (default build-bench: configured here with
# -Dbuildtype=release -Dbench=true -Db_lto=true, rebuilt always), REPS (3),
# NICE ("nice -n -5"; set NICE= to run unniced), KEEP=1 keeps the big
# captures in bench/.work/ (git-ignored). Results are printed and appended
# to bench/.work/results.txt.
#
# Needs: meson, ninja, libpcap-dev, tshark, libwireshark-dev (the plugin),
# valgrind, time (/usr/bin/time), util-linux (setpriv). tshark started as
# root ignores WIRESHARK_PLUGIN_DIR and Lua scripts, so as root it runs as
# nobody (setpriv), on world-readable copies, as tests/plugin/lib.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
BUILD=${BUILD:-build-bench}
REPS=${REPS:-3}
NICE=${NICE-nice -n -5}
WORK=$SRC/bench/.work
PORT=1882
mkdir -p "$WORK"
RESULTS=$WORK/results.txt
# The throughput capture, for the throughput and ratio benchmarks.
# shellcheck disable=SC2206
THROUGHPUT_GEN=(${THROUGHPUT_ARGS:--n 12000 -c 12000 -d 70 -k 5 -s 1} -p $PORT)
# The keepalive-heavy capture of small packets (the small benchmark): one
# connection in five over WebSocket, the rest plain TCP; a PUBLISH every 15 s
# on average, so most packets are pings; every payload under 120 bytes.
# SMALL_CALLGRIND_ARGS: the same connections (mix, duration) but a twentieth
# of them, for callgrind.
SMALL_MIX="-k 5 -s 1 --publish-interval 15 --tcp 0.8 --small"
# shellcheck disable=SC2206
SMALL_GEN=(${SMALL_ARGS:--n 20000 -c 20000 -d 180 $SMALL_MIX} -p $PORT)
# shellcheck disable=SC2206
SMALL_CALLGRIND_GEN=(${SMALL_CALLGRIND_ARGS:--n 1000 -c 1000 -d 180 $SMALL_MIX} -p $PORT)

# Lowering niceness needs privilege: without it, run at the default.
if [ -n "$NICE" ] && ! $NICE true 2>/dev/null; then NICE=; fi

say() { printf '%s\n' "$*" | tee -a "$RESULTS"; }

build() {
    # Release with link-time optimisation (the core's calls across its files
    # inlined): the build the figures are for, whatever BUILD held before.
    local opts=(-Dbuildtype=release -Dbench=true -Db_lto=true)
    if [ ! -f "$BUILD/build.ninja" ]; then
        meson setup "$BUILD" "${opts[@]}" >/dev/null
    else
        meson configure "$BUILD" "${opts[@]}" >/dev/null
    fi
    ninja -C "$BUILD" >/dev/null
    GEN=$SRC/$BUILD/bench/gen_capture
    FLOOR=$SRC/$BUILD/bench/read_floor
    MQTTKA=$SRC/$BUILD/cli/mqttka
    PLUGIN=$SRC/$BUILD/plugin/mqttka.so
    for f in "$GEN" "$FLOOR" "$MQTTKA"; do
        [ -x "$f" ] || { echo "missing $f (is libpcap-dev installed?)" >&2; exit 1; }
    done
}

# measure OUT CMD...: runs CMD once under /usr/bin/time, stdout to /dev/null;
# appends "user sys maxrss_kib" to OUT.
measure() {
    local out=$1; shift
    local t; t=$(mktemp "$WORK/time.XXXXXX")
    if ! $NICE /usr/bin/time -f "%U %S %M" -o "$t" "$@" >/dev/null 2>"$t.err"; then
        echo "failed: $*" >&2; cat "$t.err" >&2; rm -f "$t" "$t.err"; exit 1
    fi
    tail -n 1 "$t" >>"$out"
    rm -f "$t" "$t.err"
}

# median_cpu FILE / median_rss FILE: medians over the runs in FILE.
median_cpu() { awk '{print $1 + $2}' "$1" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
median_rss() { awk '{print $3}' "$1" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
all_cpu() { awk '{printf "%s%.2f", (NR > 1 ? " " : ""), $1 + $2}' "$1"; }

# tshark_cmd DIR: sets TSHARK to tshark as an unprivileged user (when root)
# with plugin folder DIR (DIR/4.0/epan/*.so), in a clean environment.
tshark_cmd() {
    TSHARK=()
    if [ "$(id -u)" = 0 ]; then
        TSHARK=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    fi
    TSHARK+=(env -i PATH="$PATH" HOME="$WORK/home" LC_ALL=C.UTF-8
             WIRESHARK_PLUGIN_DIR="$1" tshark)
}

# calc EXPR [FORMAT]: floating-point arithmetic.
calc() { awk "BEGIN { printf \"${2:-%.3f}\", $1 }"; }

# ratio A B: CPU time of A / CPU time of B for each repetition in
# $WORK/t.A and $WORK/t.B (they ran back to back), then the median: a noisy
# moment on the shared machine hits both sides.
ratio() {
    paste -d' ' "$WORK/t.$1" "$WORK/t.$2" | awk '
        { r[NR] = ($1 + $2) / ($4 + $5); all = all sprintf(" %.3f", r[NR]) }
        END { for (i = 2; i <= NR; i++)        # insertion sort for the median
                  for (j = i; j > 1 && r[j] < r[j - 1]; j--) { t = r[j]; r[j] = r[j - 1]; r[j - 1] = t }
              printf "%.3f   (per repetition:%s)", r[int((NR + 1) / 2)], all }'
}

machine() {
    say "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')," \
        "$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM;" \
        "$(uname -sr); load average $(cut -d' ' -f1-3 /proc/loadavg);" \
        "${NICE:-not niced}; $(date -u +%Y-%m-%dT%H:%MZ); mqttka $(git -C "$SRC" rev-parse --short HEAD)$(git -C "$SRC" diff --quiet HEAD -- core cli plugin || echo '+uncommitted')"
}

throughput() {
    local cap=$WORK/throughput.pcap
    local gen_args=("${THROUGHPUT_GEN[@]}")
    say ""
    say "== throughput: gen_capture ${gen_args[*]}"
    "$GEN" "${gen_args[@]}" --stats -o "$cap" 2>&1 | tee -a "$RESULTS"
    local packets
    packets=$("$FLOOR" "$cap" | cut -d' ' -f1)

    # World-readable copies for tshark run as nobody; plugin folders.
    local tw=$WORK/tshark
    rm -rf "$tw"
    mkdir -p "$tw/with/4.0/epan" "$tw/without/4.0/epan" "$WORK/home"
    cp "$SRC/bench/ws_mqtt.lua" "$tw/"
    local have_plugin=0
    if [ -f "$PLUGIN" ]; then cp "$PLUGIN" "$tw/with/4.0/epan/mqttka.so"; have_plugin=1; fi
    chmod -R a+rX "$tw" "$cap"
    chmod 1777 "$WORK/home"
    chmod a+x "$WORK" "$SRC/bench" 2>/dev/null || true

    local fields=(-Y mqtt -T fields -e mqtt.msgtype -e mqtt.kalive)
    # Sanity: stock + Lua and the plugin see the same MQTT packets.
    local n_stock n_plugin=-
    tshark_cmd "$tw/without"; local stock=("${TSHARK[@]}")
    tshark_cmd "$tw/with"; local plug=("${TSHARK[@]}")
    n_stock=$("${stock[@]}" -r "$cap" -d tcp.port==$PORT,http \
        -X lua_script:"$tw/ws_mqtt.lua" "${fields[@]}" | wc -l)
    if [ $have_plugin = 1 ]; then
        n_plugin=$("${plug[@]}" -r "$cap" -d tcp.port==$PORT,http "${fields[@]}" | wc -l)
    fi
    local n_mqttka
    n_mqttka=$("$MQTTKA" --json -r "$cap" | grep -c '"type":"mqtt"')
    say "MQTT packets decoded: mqttka $n_mqttka, tshark+lua $n_stock, tshark+plugin $n_plugin"

    local names=(floor floor_64k mqttka mqttka_json tshark_lua)
    [ $have_plugin = 1 ] && names+=(tshark_plugin tshark_plugin_lua)
    local n
    for n in "${names[@]}"; do : >"$WORK/t.$n"; done
    local rep
    for rep in $(seq "$REPS"); do
        # Interleaved, so that a noisy moment hits every tool alike.
        measure "$WORK/t.floor" "$FLOOR" "$cap"
        measure "$WORK/t.floor_64k" "$FLOOR" -b 65536 "$cap"
        measure "$WORK/t.mqttka" "$MQTTKA" -r "$cap"
        measure "$WORK/t.mqttka_json" "$MQTTKA" --json -r "$cap"
        measure "$WORK/t.tshark_lua" "${stock[@]}" -r "$cap" \
            -d tcp.port==$PORT,http -X lua_script:"$tw/ws_mqtt.lua" "${fields[@]}"
        if [ $have_plugin = 1 ]; then
            measure "$WORK/t.tshark_plugin" "${plug[@]}" -r "$cap" \
                -d tcp.port==$PORT,http "${fields[@]}"
            measure "$WORK/t.tshark_plugin_lua" "${plug[@]}" -r "$cap" \
                -d tcp.port==$PORT,http -X lua_script:"$tw/ws_mqtt.lua" "${fields[@]}"
        fi
    done

    say "$packets packets, $(stat -c %s "$cap") bytes; median of $REPS runs"
    say "$(printf '%-20s %10s %12s %10s  %s' tool 'CPU s' 'packets/s' 'RSS MiB' 'runs (CPU s)')"
    declare -A cpu
    for n in "${names[@]}"; do
        cpu[$n]=$(median_cpu "$WORK/t.$n")
        local rss; rss=$(median_rss "$WORK/t.$n")
        say "$(printf '%-20s %10.2f %12.0f %10.1f  %s' "$n" "${cpu[$n]}" \
            "$(calc "$packets / ${cpu[$n]}")" "$(calc "$rss / 1024")" \
            "$(all_cpu "$WORK/t.$n")")"
    done
    say "mqttka -r throughput / floor's (CPU floor/mqttka, target >= 0.5): $(ratio floor mqttka)"
    say "mqttka --json -r throughput / floor's:                        $(ratio floor mqttka_json)"
    say "mqttka -r / floor read through mqttka's 64 KiB stdio buffer:  $(ratio floor_64k mqttka)"
    say "tshark+lua / mqttka -r CPU (target >= 50):                    $(ratio tshark_lua mqttka)"
    if [ $have_plugin = 1 ]; then
        say "tshark+plugin / tshark+lua CPU (target <= 1.2):              $(ratio tshark_plugin tshark_lua)"
        say "same command line (-X lua_script) with / without plugin:     $(ratio tshark_plugin_lua tshark_lua)"
    fi
    rm -f "$WORK"/t.*
    [ "${KEEP:-0}" = 1 ] || rm -f "$cap"
}

# The throughput capture's ratio alone, with many more repetitions than
# the tshark runs allow: floor, floor_64k and mqttka -r, interleaved,
# RATIO_REPS (15) times. For a machine whose clock wanders.
ratio_only() {
    local cap=$WORK/throughput.pcap
    local gen_args=("${THROUGHPUT_GEN[@]}")
    say ""
    say "== ratio: gen_capture ${gen_args[*]}, ${RATIO_REPS:-15} interleaved repetitions"
    "$GEN" "${gen_args[@]}" -o "$cap"
    local n
    for n in floor floor_64k mqttka; do : >"$WORK/t.$n"; done
    local rep
    for rep in $(seq "${RATIO_REPS:-15}"); do
        measure "$WORK/t.floor" "$FLOOR" "$cap"
        measure "$WORK/t.floor_64k" "$FLOOR" -b 65536 "$cap"
        measure "$WORK/t.mqttka" "$MQTTKA" -r "$cap"
    done
    for n in floor floor_64k mqttka; do
        say "$(printf '%-12s median %6.3f s CPU  runs: %s' "$n" "$(median_cpu "$WORK/t.$n")" "$(all_cpu "$WORK/t.$n")")"
    done
    say "mqttka -r / floor (target >= 0.5):  $(ratio floor mqttka)"
    say "mqttka -r / floor_64k:              $(ratio floor_64k mqttka)"
    rm -f "$WORK"/t.*
    [ "${KEEP:-0}" = 1 ] || rm -f "$cap"
}

# The keepalive-heavy capture of small packets: SMALL_REPS (15) interleaved
# runs of the floor (and floor_64k) and mqttka -r, -q -r, --json -r, each
# CPU time as a multiple of the floor's in the same repetition (issue 12's
# measure: mqttka -r at most 2 x); then callgrind on the same mix with a
# twentieth of the connections (SMALL_CALLGRIND_ARGS; SMALL_CALLGRIND=0 skips).
small() {
    local cap=$WORK/small.pcap
    local reps=${SMALL_REPS:-15}
    say ""
    say "== small: gen_capture ${SMALL_GEN[*]}, $reps interleaved repetitions"
    local stats; stats=$("$GEN" "${SMALL_GEN[@]}" --stats -o "$cap" 2>&1)
    say "$stats"
    local packets; packets=$("$FLOOR" "$cap" | cut -d' ' -f1)
    # Every MQTT packet written is decoded (plain TCP and WebSocket alike).
    local n_gen n_mqttka
    n_gen=$(sed -n 's/^gen_capture: \([0-9]*\) MQTT packets$/\1/p' <<<"$stats")
    n_mqttka=$("$MQTTKA" --json -r "$cap" | grep -c '"type":"mqtt"')
    say "MQTT packets: written $n_gen, decoded by mqttka $n_mqttka"
    [ "$n_gen" = "$n_mqttka" ] || { echo "small: mqttka decodes $n_mqttka MQTT packets of $n_gen" >&2; exit 1; }

    local names=(floor floor_64k mqttka mqttka_q mqttka_json) n
    for n in "${names[@]}"; do : >"$WORK/t.$n"; done
    local rep
    for rep in $(seq "$reps"); do
        measure "$WORK/t.floor" "$FLOOR" "$cap"
        measure "$WORK/t.floor_64k" "$FLOOR" -b 65536 "$cap"
        measure "$WORK/t.mqttka" "$MQTTKA" -r "$cap"
        measure "$WORK/t.mqttka_q" "$MQTTKA" -q -r "$cap"
        measure "$WORK/t.mqttka_json" "$MQTTKA" --json -r "$cap"
    done
    say "$packets packets, $(stat -c %s "$cap") bytes; median of $reps runs"
    say "$(printf '%-12s %8s %12s %8s  %s' tool 'CPU s' 'packets/s' 'RSS MiB' 'runs (CPU s)')"
    for n in "${names[@]}"; do
        local cpu; cpu=$(median_cpu "$WORK/t.$n")
        say "$(printf '%-12s %8.2f %12.0f %8.1f  %s' "$n" "$cpu" "$(calc "$packets / $cpu")" \
            "$(calc "$(median_rss "$WORK/t.$n") / 1024")" "$(all_cpu "$WORK/t.$n")")"
    done
    say "CPU as a multiple of the floor's, per repetition, median (issue 12: mqttka -r <= 2):"
    say "  mqttka -r        / floor      $(ratio mqttka floor)"
    say "  mqttka -q -r     / floor      $(ratio mqttka_q floor)"
    say "  mqttka --json -r / floor      $(ratio mqttka_json floor)"
    say "  mqttka -r        / floor_64k  $(ratio mqttka floor_64k)"
    rm -f "$WORK"/t.*
    [ "${KEEP:-0}" = 1 ] || rm -f "$cap"

    [ "${SMALL_CALLGRIND:-1}" = 1 ] || return 0
    command -v valgrind >/dev/null || { echo "valgrind not installed: callgrind skipped" >&2; return; }
    cap=$WORK/small-callgrind.pcap
    "$GEN" "${SMALL_CALLGRIND_GEN[@]}" -o "$cap"
    say ""
    say "-- small, callgrind: gen_capture ${SMALL_CALLGRIND_GEN[*]} ($("$FLOOR" "$cap" | cut -d' ' -f1) packets, md5 $(md5sum <"$cap" | cut -c1-12))"
    callgrind_runs "$cap" "$WORK/callgrind-small"
    rm -f "$cap"
}

# rss_of CAP: median peak RSS (KiB) of mqttka -r CAP over REPS runs.
rss_of() {
    local f=$WORK/r.tmp
    : >"$f"
    local rep
    for rep in $(seq "$REPS"); do measure "$f" "$MQTTKA" -r "$1"; done
    echo "$(median_rss "$f") $(median_cpu "$f")"
    rm -f "$f"
}

memory() {
    say ""
    say "== memory: peak RSS of mqttka -r by concurrent connections (--short: handshake + one ping each, all open at the end; one client id each)"
    say "$(printf '%10s %10s %12s %12s %14s %10s' connections packets 'RSS MiB' 'target MiB' 'bytes/conn' 'CPU s')"
    local prev_rss= prev_c=
    local c
    for c in ${MEMORY_COUNTS:-1000 10000 100000 1000000}; do
        local cap=$WORK/memory-$c.pcap
        local d=$(( c >= 100000 ? 60 : 20 ))
        "$GEN" -n "$c" -d "$d" -k 5 -s 1 -p $PORT --short -o "$cap"
        local packets; packets=$("$FLOOR" "$cap" | cut -d' ' -f1)
        if [ "$c" -le 10000 ]; then
            # One client id a connection: a per-client object each.
            local n_clients
            n_clients=$("$MQTTKA" -q --json -r "$cap" | grep -c '"type":"client"')
            [ "$n_clients" = "$c" ] || { echo "memory: $n_clients clients in $c connections" >&2; exit 1; }
        fi
        local r; r=$(rss_of "$cap")
        local rss=${r% *} cpu=${r#* }
        local target=$(( 64 * 1024 + c ))
        local per=-
        [ -n "$prev_rss" ] && per=$(calc "($rss - $prev_rss) / ($c - $prev_c) * 1024" '%.0f B')
        say "$(printf '%10d %10d %12.1f %12.1f %14s %10.2f' "$c" "$packets" "$(calc "$rss/1024")" \
            "$(calc "$target/1024")" "$per" "$cpu")"
        prev_rss=$rss prev_c=$c
        rm -f "$cap"
    done
    say "(bytes/conn: the slope from the row above; target: 64 MiB + 1 KiB per connection)"
}

duration() {
    say ""
    say "== duration: peak RSS of mqttka -r at 1x and 10x the duration, 10k concurrent"
    say "$(printf '%-44s %10s %12s %10s' capture packets 'RSS MiB' 'CPU s')"
    local spec
    # long-lived: the same 10k connections for 30 s or 300 s (more pings and
    # publishes each); turnover: each connection lives 15 s and is replaced,
    # 20k or 200k connections in all.
    for spec in "long-lived 1x:-n 10000 -c 10000 -d 30" "long-lived 10x:-n 10000 -c 10000 -d 300" \
                "turnover 1x:-n 20000 -c 10000 -d 30" "turnover 10x:-n 200000 -c 10000 -d 300"; do
        local name=${spec%%:*} args=${spec#*:}
        local cap=$WORK/duration.pcap
        # shellcheck disable=SC2086
        "$GEN" $args -k 5 -s 1 -p $PORT -o "$cap"
        local packets; packets=$("$FLOOR" "$cap" | cut -d' ' -f1)
        local r; r=$(rss_of "$cap")
        say "$(printf '%-44s %10d %12.1f %10.2f' "$name ($args)" "$packets" \
            "$(calc "${r% *}/1024")" "${r#* }")"
        rm -f "$cap"
    done
}

# incl OUT FUNCTION: FUNCTION's inclusive Ir in callgrind output OUT (0 if absent).
incl() {
    callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
        awk -v fn=":$2 " '!found && index($0, fn) {gsub(",", "", $1); print $1; found=1}
                          END {if (!found) print 0}'
}

# callgrind_runs CAP OUT: Ir and Ir/packet of the floor, mqttka -r, -q -r
# and --json -r on CAP, with the core's own share; profiles in OUT.*.
callgrind_runs() {
    local cap=$1 out=$2
    local packets; packets=$("$FLOOR" "$cap" | cut -d' ' -f1)
    local what
    for what in floor mqttka mqttka_q mqttka_json; do
        local cmd
        case $what in
        floor) cmd=("$FLOOR" "$cap") ;;
        mqttka) cmd=("$MQTTKA" -r "$cap") ;;
        mqttka_q) cmd=("$MQTTKA" -q -r "$cap") ;;
        mqttka_json) cmd=("$MQTTKA" --json -r "$cap") ;;
        esac
        valgrind --tool=callgrind --callgrind-out-file="$out.$what" "${cmd[@]}" >/dev/null 2>"$out.$what.log"
        local total; total=$(awk '/^(summary|totals):/ {print $2; exit}' "$out.$what")
        local line
        line=$(printf '%-12s %12d Ir  %7.0f Ir/packet' "$what" "$total" "$(calc "$total / $packets")")
        if [ "$what" != floor ]; then
            # The core's own work: its entry points minus the CLI's event
            # callback (on_event; analysis_on_event in the live-capture CLI).
            # Reading a file, the CLI pushes through mqttka_push_batch_ahead
            # (mqttka_push_batch calls it) and, for a payload larger than its
            # arena, mqttka_push.
            local push push1 finish cb1 cb2
            push=$(incl "$out.$what" mqttka_push_batch_ahead)
            push1=$(incl "$out.$what" mqttka_push)
            finish=$(incl "$out.$what" mqttka_finish)
            cb1=$(incl "$out.$what" on_event)
            cb2=$(incl "$out.$what" analysis_on_event)
            line+=$(printf '   core alone: %5.0f Ir/packet' \
                "$(calc "($push + $push1 + $finish - $cb1 - $cb2) / $packets")")
        fi
        say "$line"
    done
}

callgrind() {
    command -v valgrind >/dev/null || { echo "valgrind not installed: callgrind skipped" >&2; return; }
    local cap=$WORK/callgrind.pcap
    # shellcheck disable=SC2206
    local gen_args=(${CALLGRIND_ARGS:--n 1000 -c 500 -d 60 -k 5 -s 1} -p $PORT)
    "$GEN" "${gen_args[@]}" -o "$cap"
    local packets; packets=$("$FLOOR" "$cap" | cut -d' ' -f1)
    say ""
    say "== callgrind: gen_capture ${gen_args[*]} ($packets packets, md5 $(md5sum <"$cap" | cut -c1-12))"
    local out=$WORK/callgrind
    callgrind_runs "$cap" "$out"
    say ""
    say "-- callgrind_annotate (self), mqttka -r, top 25"
    callgrind_annotate "$out.mqttka" 2>/dev/null | awk '/^-+$/ {n++} n>=3' | grep -v '^-' |
        sed -n '1,26p' | tee -a "$RESULTS"
    say "-- callgrind_annotate --inclusive=yes, mqttka -r, mqttka's own functions below main, top 25"
    callgrind_annotate --inclusive=yes "$out.mqttka" 2>/dev/null | grep -F "/cli/mqttka]" |
        grep -v -e ':main \[' -e '(below main)' | sed -n '1,25p' | tee -a "$RESULTS"
    rm -f "$cap"
}

# deflate: what inflating permessage-deflate costs, under callgrind (Ir are
# deterministic where time is not). The callgrind capture's parameters with
# every data message compressed (gen_capture --deflate: takeover, and reset
# after every message); the same with pings only (--publish-interval 0),
# whose packets are the same with or without compression, so the difference
# is the cost of a compressed message.
deflate() {
    command -v valgrind >/dev/null || { echo "valgrind not installed: deflate skipped" >&2; return; }
    # shellcheck disable=SC2206
    local gen_args=(${CALLGRIND_ARGS:--n 1000 -c 500 -d 60 -k 5 -s 1} -p $PORT)
    local out=$WORK/deflate mode cap packets total stats
    say ""
    say "== deflate: gen_capture ${gen_args[*]} [--publish-interval 0] [--deflate MODE], mqttka -q -r under callgrind"
    local none_ping=0
    for mode in none takeover reset; do
        local extra=()
        [ "$mode" != none ] && extra=(--deflate "$mode")
        # Pings only: the extra Ir per compressed message.
        cap=$WORK/deflate-ping-$mode.pcap
        "$GEN" "${gen_args[@]}" --publish-interval 0 "${extra[@]}" --stats -o "$cap" 2>"$out.stats"
        packets=$("$FLOOR" "$cap" | cut -d' ' -f1)
        valgrind --tool=callgrind --callgrind-out-file="$out.$mode.ping" "$MQTTKA" -q -r "$cap" \
            >/dev/null 2>"$out.$mode.ping.log"
        total=$(awk '/^(summary|totals):/ {print $2; exit}' "$out.$mode.ping")
        local line
        line=$(printf 'pings %-9s %6d packets %11d Ir %6.0f Ir/packet' "$mode" "$packets" "$total" \
            "$(calc "$total / $packets")")
        if [ "$mode" = none ]; then
            none_ping=$total
        else
            local msgs; msgs=$(sed -n 's/.*: \([0-9]*\) messages compressed.*/\1/p' "$out.stats")
            line+=$(printf '   %5.0f Ir more per compressed message (%d)' \
                "$(calc "($total - $none_ping) / $msgs")" "$msgs")
        fi
        say "$line"
        rm -f "$cap"
        [ "$mode" = none ] && continue
        # Publishes too: inflate's own cost per byte (inflate_bytes less the
        # MQTT decoding of what it hands on, on_inflated).
        cap=$WORK/deflate-$mode.pcap
        "$GEN" "${gen_args[@]}" "${extra[@]}" --stats -o "$cap" 2>"$out.stats"
        packets=$("$FLOOR" "$cap" | cut -d' ' -f1)
        valgrind --tool=callgrind --callgrind-out-file="$out.$mode" "$MQTTKA" -q -r "$cap" \
            >/dev/null 2>"$out.$mode.log"
        total=$(awk '/^(summary|totals):/ {print $2; exit}' "$out.$mode")
        stats=$(sed -n 's/.*: \([0-9]*\) messages compressed, \([0-9]*\) bytes into \([0-9]*\)/\1 \2 \3/p' "$out.stats")
        local n_msgs plain packed inflate handed
        read -r n_msgs plain packed <<<"$stats"
        inflate=$(incl "$out.$mode" inflate_bytes)
        [ "$inflate" = 0 ] && inflate=$(incl "$out.$mode" inflate_bytes.constprop.0)
        handed=$(incl "$out.$mode" on_inflated)
        say "$(printf 'all   %-9s %6d packets %11d Ir %6.0f Ir/packet; %d messages, %d bytes inflated from %d: inflate %.1f Ir/inflated byte, %.1f Ir/compressed byte' \
            "$mode" "$packets" "$total" "$(calc "$total / $packets")" "$n_msgs" "$plain" "$packed" \
            "$(calc "($inflate - $handed) / $plain")" "$(calc "($inflate - $handed) / $packed")")"
        rm -f "$cap"
    done
}

build
say ""
say "#### bench/run.sh $* ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
machine
[ $# -gt 0 ] || set -- all
for what in "$@"; do
    case $what in
    throughput) throughput ;;
    ratio) ratio_only ;;
    small) small ;;
    memory) memory ;;
    duration) duration ;;
    callgrind) callgrind ;;
    deflate) deflate ;;
    all) throughput; small; memory; duration; callgrind; deflate ;;
    *) echo "unknown benchmark '$what' (throughput, ratio, small, memory, duration, callgrind, deflate, all)" >&2; exit 2 ;;
    esac
done
