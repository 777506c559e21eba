# lib.sh - what the live capture tests share. Sourced, not run.
#
# Every script is called by meson as: SCRIPT MQTTKA and exits 0 (pass),
# 1 (fail) or 77 (skip). They capture on loopback only, start their own
# broker and client on free high ports of 127.0.0.1, and stop every process
# they started (the EXIT trap), whatever happens.
#
# Nothing here may pass or fail by chance (machines are shared and loaded):
# the tests wait for conditions, never for fixed times; what they time is
# measured on processes given the real-time scheduler (RT below), so that
# the machine's load does not enter the figures; the client itself freezes
# the broker and pauses at the points the tests need (paho_client.py), so
# that no step races the keepalive timers.

set -u

MQTTKA=${1:?path of the mqttka binary}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Debian's python: the one that sees python3-paho-mqtt (a python3 first on
# PATH may be another build).
PY=/usr/bin/python3
PIDS=()

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mqttka-live-test.XXXXXX")

# The processes the tests start run under SCHED_FIFO at the lowest
# real-time priority where the kernel allows it (root, no container rule
# against it): they sleep almost all the time, and when a packet or a
# deadline wakes one it runs at once instead of queueing behind the
# machine's other work. The latency checks (a finding on stdout within 1 s
# of its deadline) then measure mqttka, not the load; paho's own timers
# (CONNACK within KA) and mosquitto's do not slip either. A real-time
# process that spun would starve the whole machine: RLIMIT_RTTIME ends any
# of them that runs 2 s without sleeping (SIGXCPU; SIGKILL at 3 s), and the
# test fails. MQTTKA_LIVE_NO_RT=1 leaves everything to the normal scheduler.
RT=()
if [ -z "${MQTTKA_LIVE_NO_RT:-}" ] && prlimit --rttime=2000000:3000000 chrt -f 1 true 2>/dev/null; then
    RT=(prlimit --rttime=2000000:3000000 chrt -f 1)
else
    echo "note: without real-time scheduling here; the latency checks see the machine's load" >&2
fi

# ours PID: PID is a child of this script that has not been reaped (a PID
# once reaped may already belong to someone else's process: pid_max is
# 32768 here and the machine is shared).
ours() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    set -- $stat
    [ "$2" = "$$" ]
}

cleanup() {
    local p i mine=()
    for p in "${PIDS[@]}"; do ours "$p" && mine+=("$p"); done
    # Frozen processes (SIGSTOP) go on first, or SIGTERM would wait.
    for p in "${mine[@]}"; do kill -CONT "$p" 2>/dev/null; done
    for p in "${mine[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${mine[@]}"; do
        for ((i = 0; i < 20; i++)); do ours "$p" && alive "$p" || break; sleep 0.1; done
        ours "$p" && alive "$p" && kill -9 "$p" 2>/dev/null
    done
    wait 2>/dev/null
    if [ -n "${MQTTKA_KEEP_TMP:-}" ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$HERE/../checks.sh"

need_root() {
    [ "$(id -u)" -eq 0 ] || skip "live capture needs root (CI runs as root)"
}

need_program() { # NAME [PACKAGE]
    command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] ||
        skip "$1 is not installed (apt-get install ${2:-$1})"
}

need_paho() {
    [ -x "$PY" ] && "$PY" -c 'import paho.mqtt.client' 2>/dev/null ||
        skip "paho python is not installed for $PY (apt-get install python3-paho-mqtt)"
}

# wait_for SECONDS COMMAND...: runs COMMAND every 0.05 s until it succeeds;
# returns 1 when SECONDS pass first.
wait_for() {
    local limit=$1 i
    shift
    for ((i = 0; i < limit * 20; i++)); do
        "$@" && return 0
        sleep 0.05
    done
    return 1
}

# alive PID: the process runs (or is stopped), neither gone nor a zombie.
alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

# wait_running SECONDS NAME PID COMMAND...: runs COMMAND every 0.05 s
# until it succeeds, while mqttka PID (started as NAME) runs; returns 1
# when SECONDS pass first, or at once when that mqttka has ended (saying
# why).
wait_running() {
    local limit=$1 name=$2 pid=$3 i
    shift 3
    for ((i = 0; i < limit * 20; i++)); do
        "$@" && return 0
        if ! alive "$pid"; then
            echo "mqttka ($name) has ended: $(tail -3 "$TMP/$name.err")" >&2
            return 1
        fi
        sleep 0.05
    done
    return 1
}

# wait_output SECONDS NAME PID PATTERN: wait_running until the output of
# that mqttka holds PATTERN (grep).
wait_output() {
    wait_running "$1" "$2" "$3" grep -q -- "$4" "$TMP/$2.out"
}

# wait_exit PID SECONDS: waits for a background child; its status in $EXIT_STATUS.
wait_exit() {
    local pid=$1 i
    EXIT_STATUS=
    for ((i = 0; i < $2 * 20; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid"
            EXIT_STATUS=$?
            return 0
        fi
        sleep 0.05
    done
    return 1
}

free_ports() { "$PY" "$HERE/free_ports.py" "$1"; }

# stopped PID: true when the process is stopped (SIGSTOP), as /proc says.
stopped() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" = T ]
}

# port_listening PORT PID: process PID listens on TCP PORT, as /proc says
# (the listening socket's inode among PID's descriptors). Asked of the
# kernel rather than by connecting: a probe connection's close can come
# late, when a capture has started (two captures would then differ by it,
# and -c N count it).
port_listening() {
    local hex inode
    hex=$(printf '%04X' "$1")
    for inode in $(awk -v p=":$hex" 'substr($2, length($2) - 4) == p && $4 == "0A" { print $10 }' \
                       /proc/net/tcp /proc/net/tcp6 2>/dev/null); do
        find "/proc/$2/fd" -lname "socket:\[$inode\]" 2>/dev/null | grep -q . && return 0
    done
    return 1
}

# start_broker: mosquitto 2.0 on two free ports ($TCP_PORT, $WS_PORT: a plain
# listener and a WebSocket listener), anonymous, its own config and log in
# $TMP; $BROKER_PID. A port taken between free_ports and mosquitto's bind
# ends mosquitto ("Address already in use", "Unable to create websockets
# listener"): new ports then, up to five times.
start_broker() {
    local conf=$TMP/mosquitto.conf attempt i mosquitto
    mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
    for attempt in 1 2 3 4 5; do
        read -r TCP_PORT WS_PORT < <(free_ports 2 | tr '\n' ' ')
        cat >"$conf" <<CONF
user root
per_listener_settings false
allow_anonymous true
persistence false
log_dest file $TMP/mosquitto.log
log_type all
listener $TCP_PORT 127.0.0.1
listener $WS_PORT 127.0.0.1
protocol websockets
CONF
        "${RT[@]}" "$mosquitto" -c "$conf" >"$TMP/mosquitto.out" 2>&1 &
        BROKER_PID=$!
        PIDS+=("$BROKER_PID")
        for ((i = 0; i < 600; i++)); do
            port_listening "$TCP_PORT" "$BROKER_PID" && port_listening "$WS_PORT" "$BROKER_PID" &&
                return 0
            alive "$BROKER_PID" || break
            sleep 0.05
        done
        alive "$BROKER_PID" && break # running but not listening: no new ports will help
        wait "$BROKER_PID" 2>/dev/null
        echo "note: mosquitto did not start on $TCP_PORT and $WS_PORT: $(tail -1 "$TMP/mosquitto.log" 2>/dev/null)" >&2
    done
    fail "mosquitto does not listen on $TCP_PORT and $WS_PORT: $(tail -3 "$TMP/mosquitto.log" "$TMP/mosquitto.out" 2>&1)"
    finish
}

# start_client LOG WS_PORT KA [paho_client.py options...]: the paho client
# over WebSocket; $CLIENT_PID. It lives until the test ends it (or until the
# broker stops answering), however long the test takes.
start_client() {
    local log=$1 port=$2 ka=$3
    shift 3
    "${RT[@]}" "$PY" "$HERE/paho_client.py" --port "$port" --ka "$ka" --log "$log" \
        --max-seconds 600 "$@" >"$log.stderr" 2>&1 &
    CLIENT_PID=$!
    PIDS+=("$CLIENT_PID")
}

# start_mqttka NAME ARGS...: mqttka in the background, its standard output
# through stamp_lines.py into $TMP/NAME.out ("<arrival epoch> <line>"), its
# standard error in $TMP/NAME.err; returns once it listens. $MQTTKA_PID.
start_mqttka() {
    local name=$1
    shift
    mkfifo "$TMP/$name.fifo"
    "${RT[@]}" "$PY" "$HERE/stamp_lines.py" "$TMP/$name.out" <"$TMP/$name.fifo" &
    PIDS+=("$!")
    "${RT[@]}" "$MQTTKA" "$@" >"$TMP/$name.fifo" 2>"$TMP/$name.err" &
    MQTTKA_PID=$!
    PIDS+=("$MQTTKA_PID")
    # mqttka says so once the interface is open and its filter set: from
    # here on every packet of the filter is captured.
    wait_for 30 grep -qs "listening on" "$TMP/$name.err" ||
        { fail "mqttka $* did not start: $(cat "$TMP/$name.err")"; finish; }
}

# stop_mqttka PID NAME: SIGINT, then its exit status must be 0.
stop_mqttka() {
    kill -INT "$1"
    if ! wait_exit "$1" 30; then
        fail "mqttka ($2) did not stop within 30 s of SIGINT"
        return
    fi
    [ "$EXIT_STATUS" -eq 0 ] || fail "mqttka ($2) exited $EXIT_STATUS after SIGINT: $(cat "$TMP/$2.err")"
}
