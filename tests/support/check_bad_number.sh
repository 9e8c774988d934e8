#!/bin/sh
# A bad number on the command line: the program must exit with code 2, run nothing (stdout empty),
# and say on stderr which option was wrong and why.
#   check_bad_number.sh OPTION BINARY ARGS...     (OPTION is the name the message must start with)
set -u
option="$1"
shift
err=$(mktemp)
trap 'rm -f "$err"' EXIT
out=$("$@" 2> "$err")
code=$?
echo "\$ $*  -> exit $code"
cat "$err"
[ "$code" -eq 2 ] || { echo "check_bad_number: expected exit code 2"; exit 1; }
[ -z "$out" ] || { echo "check_bad_number: expected no output on stdout, got: $out"; exit 1; }
grep -q -- "^$option: '" "$err" || { echo "check_bad_number: expected a message starting '$option: '"; exit 1; }
