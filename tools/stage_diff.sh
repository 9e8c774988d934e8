#!/usr/bin/env bash
# make diff FROM=NN TO=MM: what the next stage changed, in reading order.
#
# A stage starts as a copy of the one before, so the diff between two stage folders is the cost of
# the new idea. This script prints it the way a student reads it:
#   1. a summary: the teaching headers' line counts in both stages, and git's --stat of the change;
#   2. the teaching headers (the stage folder's *.hpp), where the lesson is;
#   3. main.cpp and the build file, the demos, the Python twins;
#   4. the stage's own tests (tests/stageNN_*.cpp, compared without their stageNN_ prefix).
# Files that moved (04's loop.hpp becoming 05's event_loop.hpp) are shown as renames with their
# changes, not as one file deleted and another added: git's rename detection (-M) does that.
# Colour follows git's own setting: `make diff ... | less -R` keeps it.
set -euo pipefail
from_n=${1:?usage: stage_diff.sh FROM TO}
to_n=${2:?usage: stage_diff.sh FROM TO}
cd "$(dirname "$0")/.."

from=$(ls -d stages/"$from_n"_* 2>/dev/null | head -n 1 || true)
to=$(ls -d stages/"$to_n"_* 2>/dev/null | head -n 1 || true)
if [ -z "$from" ] || [ -z "$to" ]; then
  echo "looplab: no stage folder for FROM=$from_n or TO=$to_n (see ls stages)" >&2
  exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Lays out one stage in sections, $tmp/NN/{headers,build,demos,python,tests}, so that git's paths
# read "04/headers/loop.hpp => 05/headers/event_loop.hpp".
layout() {
  local stage_dir=$1 number=$2 root=$tmp/$2
  mkdir -p "$root"/{headers,build,demos,python,tests}
  find "$stage_dir" -maxdepth 1 -name '*.hpp' -exec cp {} "$root/headers/" \;
  for f in main.cpp CMakeLists.txt; do if [ -f "$stage_dir/$f" ]; then cp "$stage_dir/$f" "$root/build/"; fi; done
  if [ -d "$stage_dir/demos" ]; then cp -r "$stage_dir/demos/." "$root/demos/"; fi
  if [ -d "$stage_dir/python" ]; then cp -r "$stage_dir/python/." "$root/python/"; fi
  find "$root/python" -name '__pycache__' -prune -exec rm -rf {} + 2>/dev/null || true
  for t in tests/stage"$number"_*.cpp tests/stage"$number"_*.hpp; do
    if [ -f "$t" ]; then cp "$t" "$root/tests/${t#tests/stage"$number"_}"; fi
  done
  # Each stage's names live in their own namespace (looplab::stageNN); that line differs in every
  # file and says nothing about the idea, so both sides show it as stageNN.
  find "$root" -type f \( -name '*.hpp' -o -name '*.cpp' \) -exec \
    sed -i -E 's/(looplab::inline |namespace looplab::)stage[0-9]{2}/\1stageNN/' {} +
}
layout "$from" "$from_n"
layout "$to" "$to_n"

lines() { find "$1" -maxdepth 1 -name '*.hpp' -print0 | xargs -0 -r cat | wc -l; }
files() { find "$1" -maxdepth 1 -name '*.hpp' | wc -l; }

echo "make diff FROM=$from_n TO=$to_n: $from -> $to (namespace lines read looplab::stageNN on both sides)"
echo
printf '  teaching headers: %s has %s lines in %s files; %s has %s lines in %s files\n' \
  "$from_n" "$(lines "$from")" "$(files "$from")" "$to_n" "$(lines "$to")" "$(files "$to")"
echo
(cd "$tmp" && git diff --no-index -M --stat=100 "$from_n" "$to_n" || true) | sed 's/^/  /'

git_diff() { (cd "$tmp" && git diff --no-index -M --src-prefix= --dst-prefix= "$@"); }
section() {
  local name=$1 title=$2
  if ! git_diff --quiet "$from_n/$name" "$to_n/$name" 2>/dev/null; then
    printf '\n==== %s\n\n' "$title"
    git_diff "$from_n/$name" "$to_n/$name" || true
  fi
}
section headers "the teaching headers (the lesson)"
section build "main.cpp and CMakeLists.txt"
section demos "the demos"
section python "the Python twins"
section tests "the stage's own tests (tests/stageNN_*.cpp)"
