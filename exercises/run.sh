#!/usr/bin/env bash
# `make exercise`: list the exercises, or build one exercise's check and run it.
#   exercises/run.sh BUILD                       list them: name and one line each
#   exercises/run.sh BUILD NAME [mine|starter|solution]
# NAME's check is compiled against the stage with one header swapped in: `mine` (the default) is the
# student's copy in mywork/NAME/, made from the starter the first time; `solution` is the reference
# solution; `starter` the untouched starter. Exit 0: every check passed; 1: some did not (or the
# build failed); 2: no such exercise.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
name=${2:-}
variant=${3:-mine}

conf() { sed -n "s/^$2=//p" "exercises/$1/exercise.conf"; }
names() { for d in exercises/[0-9][0-9]_*/; do d=${d%/}; [ -f "$d/exercise.conf" ] && echo "${d#exercises/}"; done; }

if [ -z "$name" ]; then
  echo "The exercises (exercises/NAME/README.md says what to do). Run one with: make exercise EX=NAME"
  echo
  for n in $(names); do printf '  %-22s %s\n' "$n" "$(conf "$n" summary)"; done
  echo
  echo "Your work goes in mywork/NAME/ (made from the starter the first time; delete it to start over)."
  echo "SOLUTION=1 runs the same check on the reference solution."
  exit 0
fi

if [ ! -f "exercises/$name/exercise.conf" ]; then
  echo "looplab: there is no exercise '$name'. The exercises are:" >&2
  names | sed 's/^/  /' >&2
  matches=$(names | grep -i -- "$name" | head -n 3 | tr '\n' ' ')
  [ -n "$matches" ] && echo "Did you mean: $matches" >&2
  exit 2
fi

file=$(conf "$name" file)
stage=$(conf "$name" stage)
case "$variant" in
  mine)
    mine="mywork/$name/$file"
    if [ ! -f "$mine" ]; then
      mkdir -p "mywork/$name"
      cp "exercises/$name/starter/$file" "$mine"
      echo "looplab: made $mine from the starter: that is the file you edit."
    fi
    what="your $mine" ;;
  starter)  what="the starter exercises/$name/starter/$file" ;;
  solution)
    if [ -f "exercises/$name/solution/$file" ]; then what="the reference solution exercises/$name/solution/$file"
    else what="the reference solution, the stage's own stages/$stage/$file"; fi ;;
  *) echo "looplab: variant must be mine, starter or solution, not '$variant'" >&2; exit 2 ;;
esac

mkdir -p "$build"
echo "looplab: building the check of $name against $what"
make --no-print-directory build BUILD="$build" TARGETS="exercise-$name-$variant" > "$build/exercise.log" 2>&1
if [ $? -ne 0 ]; then
  # Compiler errors first: they are what the student has to fix.
  grep -E 'error|required from here' "$build/exercise.log" | head -n 30
  echo
  echo "looplab: $name did not compile (the whole log: $build/exercise.log). Fix the first error above and run again."
  exit 1
fi
rm -f "$build/exercise.log"
echo "looplab: running the check of $name"
echo
# No check waits on purpose: the clock is virtual. A check still running after 30 s is stuck, most
# likely in a loop that never ends.
timeout 30 "$build/exercises/bin/$name-$variant"
status=$?
if [ $status -eq 124 ]; then
  echo "looplab: the check was stopped after 30 s: something waits forever (a loop that never ends?)"
fi
[ $status -eq 0 ] || exit 1
