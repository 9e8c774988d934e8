#!/bin/sh
# The test of `make diff` (tools/stage_diff.sh): for two neighbouring stages, the line-count summary
# comes first, the teaching headers are the first section and the demos follow; a stage number with
# no folder is refused with exit code 2.
script=$1
out=$("$script" 02 03) || { echo "stage_diff.sh 02 03 failed"; exit 1; }
printf '%s\n' "$out" | head -n 3 | grep -q 'teaching headers: 02 has' || { echo "no summary at the top"; exit 1; }
printf '%s\n' "$out" | grep '^==== ' | head -n 1 | grep -q 'teaching headers' || { echo "headers are not first"; exit 1; }
printf '%s\n' "$out" | grep -q '^==== the demos' || { echo "no demos section"; exit 1; }
"$script" 02 99 >/dev/null 2>&1
rc=$?
[ "$rc" -eq 2 ] || { echo "a missing stage gave exit code $rc, not 2"; exit 1; }
