#!/bin/bash
# test_many_files.sh - several files read as one capture.
#
# Real samples are split by Wireshark's own tools (editcap -c N: N records a
# file; editcap -i S: S seconds a file; and by TCP connection with tshark, so
# that the pieces overlap in time), then given to mqttka in shuffled order,
# with -r repeated, as words after the options, and as a quoted glob. Every
# finding and connection summary must be the one mqttka reports for the
# whole file (JSON lines equal, the per-file members aside); the frame
# numbers are the whole file's, and each event's file/file_frame point at the
# same record in the piece (checked against editcap's piece sizes and against
# tshark's reading of the overlapping pieces). Then the command-line rules:
# file words versus filter words, "--", a missing file.
. "$(dirname "$0")/lib.sh"
need_jq
command -v editcap >/dev/null 2>&1 || skip "editcap is not installed (apt-get install wireshark-common)"
command -v mergecap >/dev/null 2>&1 || skip "mergecap is not installed (apt-get install wireshark-common)"

# events_without_files FILE: the JSON lines but the capture object, with the
# per-file members taken out.
events_without_files() {
    grep -v '"type":"capture"' "$1" | jq -c 'del(.file, .file_frame)'
}

# whole JSON of a capture, canonical
whole_json() {
    "$MQTTKA" --json -r "$1" | grep -v '"type":"capture"' | jq -c . >"$2"
}

# shuffled LIST...: the arguments in an order that is not theirs (reversed,
# then the first two swapped): deterministic, so a failure can be replayed.
shuffled() {
    local a=("$@") out=() i
    for ((i = ${#a[@]} - 1; i >= 0; i--)); do out+=("${a[i]}"); done
    if [ ${#out[@]} -ge 3 ]; then
        local t=${out[0]}
        out[0]=${out[1]}
        out[1]=$t
    fi
    printf '%s\n' "${out[@]}"
}

check_pieces() { # NAME WHOLE_JSON PIECES...
    local name=$1 whole=$2
    shift 2
    local pieces=("$@")
    mapfile -t order < <(shuffled "${pieces[@]}")

    # Words after the options.
    "$MQTTKA" --json -r "${order[@]}" >"$TMP/words.json" 2>"$TMP/err" ||
        fail "$name: words: exit $?: $(cat "$TMP/err")"
    events_without_files "$TMP/words.json" | cmp -s - "$whole" ||
        fail "$name: the findings differ from the whole file's: $(events_without_files "$TMP/words.json" | diff "$whole" - | head -4)"

    # -r repeated.
    local args=() p
    for p in "${order[@]}"; do args+=(-r "$p"); done
    "$MQTTKA" --json "${args[@]}" >"$TMP/repeated.json" 2>"$TMP/err" ||
        fail "$name: -r repeated: exit $?"
    cmp -s "$TMP/repeated.json" "$TMP/words.json" || fail "$name: -r repeated differs from words"

    # The text summaries equal the whole file's (the files' own lines aside).
    "$MQTTKA" -q -r "${order[@]}" >"$TMP/pieces.txt"
    cmp -s "$TMP/pieces.txt" "$TMP/whole.txt" || fail "$name: -q text differs"

    # The capture object: every record, complete, one entry per file in
    # order of time whose records add up.
    local cap
    cap=$(grep '"type":"capture"' "$TMP/words.json")
    [ "$(echo "$cap" | jq '.records')" = "$WHOLE_RECORDS" ] ||
        fail "$name: $(echo "$cap" | jq '.records') records, the whole file has $WHOLE_RECORDS"
    [ "$(echo "$cap" | jq '[.files[].records] | add')" = "$WHOLE_RECORDS" ] ||
        fail "$name: the files' records do not add up: $cap"
    [ "$(echo "$cap" | jq '.complete and ([.files[].complete] | all)')" = true ] ||
        fail "$name: not complete: $cap"
    [ "$(echo "$cap" | jq '.files | length')" = "${#pieces[@]}" ] || fail "$name: files: $cap"
}

for sample_file in $(all_samples); do
    case $sample_file in *.pcapng) continue ;; esac
    base=$(basename "$sample_file" .pcap)
    whole=$TMP/$base.pcap
    cp "$sample_file" "$whole" # a snapshot: samples may be regenerated meanwhile
    whole_json "$whole" "$TMP/whole.json"
    "$MQTTKA" -q -r "$whole" >"$TMP/whole.txt"
    WHOLE_RECORDS=$("$MQTTKA" --json -r "$whole" | jq -s 'map(select(.type == "capture"))[0].records')
    [ "$WHOLE_RECORDS" -ge 4 ] || continue

    # editcap -c: a quarter of the records per file (at least 2).
    n=$((WHOLE_RECORDS / 4 > 1 ? WHOLE_RECORDS / 4 : 2))
    mkdir -p "$TMP/c-$base"
    editcap -c "$n" "$whole" "$TMP/c-$base/piece.pcap" >/dev/null
    pieces=("$TMP/c-$base"/piece_*.pcap)
    [ ${#pieces[@]} -ge 2 ] || { fail "$base: editcap -c $n made ${#pieces[@]} files"; continue; }
    check_pieces "$base (editcap -c $n)" "$TMP/whole.json" "${pieces[@]}"

    # The frames map back: editcap -c pieces follow each other, so frame F is
    # record F - (records of the pieces before) of its piece.
    "$MQTTKA" --json -r "$(printf '%s\n' "${pieces[@]}" | sort -r | head -1)" \
        "${pieces[@]:0:${#pieces[@]}-1}" >"$TMP/map.json"
    grep '"type":"\(finding\|mqtt\)"' "$TMP/map.json" >"$TMP/map.events"
    grep -q '"type":"mqtt"' "$TMP/whole.json" && [ ! -s "$TMP/map.events" ] &&
        fail "$base: no event to map back"
    if ! bad=$(jq -r --argjson n "$n" 'select(.frame != null) |
            select(((.file // "") | test("piece_[0-9]+") | not) or
                   .file_frame != (.frame - ((.file | capture("piece_(?<i>[0-9]+)").i | tonumber) * $n)))
            | "\(.frame) \(.file) \(.file_frame)"' "$TMP/map.events"); then
        fail "$base: jq could not read the events"
    fi
    [ -z "$bad" ] || fail "$base: file/file_frame do not name the record: $(echo "$bad" | head -3)"

    # A quoted glob, expanded by mqttka.
    "$MQTTKA" --json -r "$TMP/c-$base/piece_*" >"$TMP/glob.json" 2>"$TMP/err" ||
        fail "$base: glob: exit $?: $(cat "$TMP/err")"
    events_without_files "$TMP/glob.json" | cmp -s - "$TMP/whole.json" ||
        fail "$base: the glob's findings differ from the whole file's"

    # editcap -i: one file per second of capture (most samples last seconds).
    mkdir -p "$TMP/i-$base"
    editcap -i 1 "$whole" "$TMP/i-$base/second.pcap" >/dev/null
    pieces=("$TMP/i-$base"/second_*.pcap)
    if [ ${#pieces[@]} -ge 2 ]; then
        check_pieces "$base (editcap -i 1)" "$TMP/whole.json" "${pieces[@]}"
    fi

    # By TCP connection: pieces that overlap in time, merged record by
    # record by time. Each connection is in one piece, whole: the same
    # connections and findings as the whole file (frame numbers aside: the
    # first 2 s of an overlap are read in file order, not by time). Each
    # event's file/file_frame is the record of its frame: the same time.
    # (tshark is slow to start: one sample with several connections.)
    [ "$base" = ws-multi ] || continue
    tshark -r "$whole" -Y 'tcp.stream == 0' -w "$TMP/s0-$base.pcap" 2>/dev/null
    tshark -r "$whole" -Y 'tcp.stream != 0' -w "$TMP/s1-$base.pcap" 2>/dev/null
    "$MQTTKA" --json -r "$TMP/s1-$base.pcap" "$TMP/s0-$base.pcap" >"$TMP/ov.json"
    grep -q 'interleaved by time' <("$MQTTKA" -r "$TMP/s1-$base.pcap" "$TMP/s0-$base.pcap") ||
        fail "$base: the pieces by connection were not merged by time"
    no_frames='del(.frame, .reported_frame, .file, .file_frame, .first_frame, .last_frame,
                   .close.frame, .pingreq_frame) | if .findings then .findings |= map(del(.frame, .reported_frame)) else . end
                   | if .finding_counts then .finding_counts |= map(del(.first_frame, .last_frame)) else . end'
    for type in connection finding; do
        jq -c "select(.type == \"$type\") | $no_frames" "$TMP/ov.json" | sort >"$TMP/a"
        jq -c "select(.type == \"$type\") | $no_frames" "$TMP/whole.json" | sort >"$TMP/b"
        [ -s "$TMP/b" ] || fail "$base: no $type in the whole file"
        cmp -s "$TMP/a" "$TMP/b" || fail "$base: overlapping pieces: ${type}s differ: $(diff "$TMP/b" "$TMP/a" | head -3)"
    done
    checked=0
    while read -r frame file file_frame ts; do
        b=$(tshark -r "$file" -Y "frame.number == $file_frame" -T fields -e frame.time_epoch 2>/dev/null)
        [ -n "$b" ] && [ "$(printf '%.6f' "$b")" = "$(printf '%.6f' "$ts")" ] ||
            fail "$base: frame $frame at $ts is not $file #$file_frame ($b)"
        checked=$((checked + 1))
    done < <(grep '"type":"mqtt"' "$TMP/ov.json" | sed -n '1p;8p;16p;24p' |
             jq -r '"\(.frame) \(.file) \(.file_frame) \(.ts)"')
    [ "$checked" -ge 2 ] || fail "$base: $checked events mapped back"
done

# The rules of the command line, on a split sample.
capture=$(sample ws-multi.pcap ws-311-healthy.pcap)
cp "$capture" "$TMP/r.pcap"
editcap -c 20 "$TMP/r.pcap" "$TMP/rule.pcap" >/dev/null
set -- "$TMP"/rule_*.pcap
[ $# -ge 2 ] || fail "editcap -c 20 made $# files"
first=$1 second=$2
"$MQTTKA" --json -r "$TMP/r.pcap" 'tcp port 1882' | grep -v '"type":"capture"' | jq -c . >"$TMP/filtered.json"
# Words that name files are files; the first that does not starts the filter.
run 0 --json -r "$first" "${@:2}" tcp port 1882 &&
    { events_without_files "$TMP/out" | cmp -s - "$TMP/filtered.json" ||
        fail "files then filter words: not the filtered whole file"; }
# After --, every word is the filter.
run 0 --json -r "$first" "${@:2}" -- tcp port 1882 &&
    { events_without_files "$TMP/out" | cmp -s - "$TMP/filtered.json" ||
        fail "files -- filter: not the filtered whole file"; }
run 2 -r "$first" -- "$second" && stderr_is_one_line "bad filter"
# The same file twice (by name and through a glob) would double its records.
run 2 -r "$first" -r "$TMP/rule_*.pcap" && stderr_is_one_line "given twice"
# A missing file with a capture's name is an error, not a filter.
run 2 -r "$first" "$TMP/gone.pcap" && stderr_is_one_line "gone.pcap" "No such file"
# A cut piece among whole ones: its records up to the cut, the others whole.
size=$(wc -c <"$second")
head -c $((size - 5)) "$second" >"$TMP/cut_piece.pcap"
run 2 --json -r "$first" "$TMP/cut_piece.pcap" "${@:3}" && {
    stderr_is_one_line "cut_piece.pcap" "cut short after"
    cap=$(grep '"type":"capture"' "$TMP/out")
    [ "$(echo "$cap" | jq '.complete')" = false ] || fail "a cut piece: complete: $cap"
    [ "$(echo "$cap" | jq '[.files[] | select(.complete | not)] | length')" = 1 ] ||
        fail "a cut piece: not exactly one incomplete file: $cap"
    grep -q '"type":"connection"' "$TMP/out" || fail "a cut piece: no connection reported"
}

finish
