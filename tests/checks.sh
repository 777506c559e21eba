# checks.sh - the verdict helpers every shell test shares. Sourced, not run.
# A script counts failures with `fail`, skips with `skip` (exit 77, as meson
# test reads it) and ends with `finish` (exit 0 or 1).

failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

skip() {
    echo "SKIP: $*" >&2
    exit 77
}

finish() {
    if [ "$failures" -ne 0 ]; then
        echo "$failures check(s) failed" >&2
        exit 1
    fi
    echo "all checks passed"
    exit 0
}
