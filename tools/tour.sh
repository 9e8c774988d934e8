#!/usr/bin/env bash
# The guided tour (`make run`): every stage's default demo, in order, on the real clock, each under a
# banner that shows the command, so a student can run it again with other options.
set -euo pipefail
bin_dir=${1:-build/bin}
shopt -s nullglob
stages=("$bin_dir"/[0-9][0-9]-*)
if [ ${#stages[@]} -eq 0 ]; then
  echo "looplab: no stage binaries in $bin_dir (run make first)"; exit 1
fi

start=$(date +%s.%N)
for bin in "${stages[@]}"; do
  demo=$("$bin" --tour-demo)
  echo
  echo "################################################################################"
  echo "# $(basename "$bin"): $("$bin" --help | sed -n 1p)"
  echo "# \$ $bin $demo        (try --trace, --timeline, --clock virtual, --list)"
  echo "################################################################################"
  "$bin" "$demo"
done
end=$(date +%s.%N)
printf '\nlooplab: tour of %d stages done in %.1f s. Next: read README.md, then "make run STAGE=01 ARGS=--list".\n' \
  "${#stages[@]}" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')"
