# lib.sh - what the CLI test scripts share. Sourced, not run.
#
# Every script is called by meson as: SCRIPT MQTTKA SAMPLES_DIR [MAN_PAGE]
# and exits 0 (pass), 1 (fail) or 77 (skip), as meson test reads them.

set -u

MQTTKA=${1:?path of the mqttka binary}
SAMPLES=${2:?path of the samples folder}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mqttka-cli-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"

# run EXPECTED_STATUS ARGS...: runs mqttka, keeps stdout in $TMP/out and
# stderr in $TMP/err, and checks the exit status.
run() {
    local expected=$1
    shift
    "$MQTTKA" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
    local status=$?
    if [ "$status" -ne "$expected" ]; then
        fail "mqttka $* exited $status, expected $expected; stderr: $(head -c 300 "$TMP/err")"
        return 1
    fi
    return 0
}

# stderr_is_one_line SUBSTRING...: stderr is exactly one line, holding each
# substring.
stderr_is_one_line() {
    local lines
    lines=$(wc -l <"$TMP/err")
    if [ "$lines" -ne 1 ]; then
        fail "expected one line on stderr, got $lines: $(cat "$TMP/err")"
        return
    fi
    local s
    for s in "$@"; do
        grep -qF -- "$s" "$TMP/err" || fail "stderr lacks '$s': $(cat "$TMP/err")"
    done
}

stdout_is_empty() {
    [ -s "$TMP/out" ] && fail "expected no output, got: $(head -c 300 "$TMP/out")"
    return 0
}

# sample NAME...: the first of the named samples that exists, else any
# capture in the folder; skips the test when there is none.
sample() {
    local n
    for n in "$@"; do
        if [ -f "$SAMPLES/$n" ]; then
            echo "$SAMPLES/$n"
            return
        fi
    done
    for n in "$SAMPLES"/*.pcap "$SAMPLES"/*.pcapng; do
        if [ -f "$n" ]; then
            echo "$n"
            return
        fi
    done
    skip "no capture in $SAMPLES"
}

# Every sample, or with MQTTKA_TEST_SAMPLES (base names, space-separated)
# only those: the sanitizer run of tests/run-all.sh takes a few that cover
# the code paths (TCP, WebSocket, deflate, many connections, an HTTP body),
# since each sample costs it ten times what it costs the ordinary build.
all_samples() {
    local n found=0
    for n in "$SAMPLES"/*.pcap "$SAMPLES"/*.pcapng; do
        if [ -n "${MQTTKA_TEST_SAMPLES:-}" ]; then
            case " $MQTTKA_TEST_SAMPLES " in
            *" $(basename "${n%.*}") "*) ;;
            *) continue ;;
            esac
        fi
        if [ -f "$n" ]; then
            echo "$n"
            found=1
        fi
    done
    [ "$found" -eq 1 ] || skip "no capture in $SAMPLES"
}

need_jq() {
    command -v jq >/dev/null 2>&1 || skip "jq is not installed (apt-get install jq)"
}
