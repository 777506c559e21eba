# compare_text.py - a live text capture against its own -w file read back
# (`mqttka -r FILE`): the same lines, but for those of findings only the
# clock could tell, and the findings count that includes them.
#
#   compare_text.py LIVE_STAMPED REPLAY_TEXT
#
# LIVE_STAMPED holds "<arrival epoch> <line>" (stamp_lines.py). A finding
# the clock told live (its line names no "known at frame") is one the file
# cannot tell the same way: the file ends at its last record, and tells an
# overdue PINGREQ or a silence at the packet that ended it, if at all.
# Prints the lines that differ; exits 1 if any do.
import difflib
import sys

TIME_KINDS = ("pingreq_unanswered", "client_silent_over_keepalive",
              "client_silent_over_1_5_keepalive", "server_keepalive_not_enforced",
              "ws_ping_unanswered")


def comparable(lines):
    """The lines but those the clock can change: findings it told, the
    findings count, and what counts findings by client (the client table's
    rows and the fleet's worst clients, whose counts include them)."""
    out = []
    in_clients = False
    for line in lines:
        if line.startswith("== "):
            in_clients = line.startswith("== clients")
        told_by_clock = any(k + ":" in line for k in TIME_KINDS) and "known at frame" not in line
        counts_findings = (in_clients and line.startswith("   ") and "CONNS" not in line) or \
            line.lstrip().startswith("worst ")
        if told_by_clock or counts_findings or line.lstrip().startswith("findings "):
            continue
        out.append(line)
    return out


with open(sys.argv[1]) as f:
    live = [line.rstrip("\n").partition(" ")[2] for line in f]
with open(sys.argv[2]) as f:
    replay = [line.rstrip("\n") for line in f]
a, b = comparable(live), comparable(replay)
if a != b:
    for line in difflib.unified_diff(a, b, "live", "replay", lineterm="", n=1):
        print(line)
    sys.exit(1)
print("text: %d lines alike live and from the -w file (%d live lines told by the clock)"
      % (len(a), len(live) - len(a) - sum(1 for x in live if x.lstrip().startswith("findings "))))
