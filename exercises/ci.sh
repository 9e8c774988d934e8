#!/usr/bin/env bash
# CI for the exercises: every check must FAIL on its starter and PASS on its reference solution (a check
# that cannot fail is a defect). Builds both binaries of each exercise (one compile each, sharing
# looplab_common and the check's main with the rest of BUILD), runs them, and prints a table with the
# compile and run time of each. First it checks that every starter is still its stage's file but for
# the WRITE THIS stubs. Exit 0 only if every exercise behaves.
#   exercises/ci.sh [BUILD]      (make variables such as WERROR=1 JOBS=2 pass through the environment)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
start=$(date +%s.%N)
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

make --no-print-directory configure BUILD="$build" || exit 1
cmake --build "$build" --target looplab_common looplab_exercise_main -j "${JOBS:-2}" > /dev/null || exit 1

# A starter is the stage's file with stubs marked WRITE THIS; when the stage's file changes, the
# starter must follow. Every difference between them must be a hunk that holds a WRITE THIS stub.
# (Exercises that add a file of their own, with a solution/ folder, have nothing to follow.)
drifted() {
  local name=$1 stage file
  stage=$(sed -n 's/^stage=//p' "exercises/$name/exercise.conf")
  file=$(sed -n 's/^file=//p' "exercises/$name/exercise.conf")
  [ -f "stages/$stage/$file" ] && [ ! -f "exercises/$name/solution/$file" ] || return 1
  diff -U0 "stages/$stage/$file" "exercises/$name/starter/$file" | awk '
    /^@@/ { if (open && !stub) bad = 1; open = 1; stub = 0; next }
    /^\+.*WRITE THIS/ { stub = 1 }
    END { if (open && !stub) bad = 1; exit bad ? 0 : 1 }'
}

bad=0
for dir in exercises/[0-9][0-9]_*/; do
  name=$(basename "$dir")
  if drifted "$name"; then
    echo "$name: the starter differs from the stage's file outside its WRITE THIS stubs (the stage changed?):"
    conf_stage=$(sed -n 's/^stage=//p' "$dir/exercise.conf"); conf_file=$(sed -n 's/^file=//p' "$dir/exercise.conf")
    diff -U0 "stages/$conf_stage/$conf_file" "$dir/starter/$conf_file" | head -n 40
    bad=1
  fi
done

printf '%-22s %8s %12s %12s  %s\n' exercise compile "starter run" "solution run" verdict
for dir in exercises/[0-9][0-9]_*/; do
  name=$(basename "$dir")
  [ -f "$dir/exercise.conf" ] || continue
  t0=$(now)
  if ! cmake --build "$build" --target "exercise-$name-starter" "exercise-$name-solution" -j "${JOBS:-2}" \
       > "$build/exercise-ci.log" 2>&1; then
    cat "$build/exercise-ci.log"
    echo "$name: the check does not compile against its starter or its solution"
    bad=1
    continue
  fi
  t1=$(now)
  timeout 30 "$build/exercises/bin/$name-starter" > "$build/exercises/$name-starter.out" 2>&1
  s_status=$?
  t2=$(now)
  timeout 30 "$build/exercises/bin/$name-solution" > "$build/exercises/$name-solution.out" 2>&1
  r_status=$?
  t3=$(now)
  s_fail=$(grep -c '^FAIL' "$build/exercises/$name-starter.out")
  s_total=$(grep -cE '^(PASS|FAIL)' "$build/exercises/$name-starter.out")
  verdict="ok: starter fails $s_fail of $s_total, solution passes all"
  # The starter must fail by failing a check: not by hanging, and not by passing.
  if [ $s_status -eq 0 ] || [ $s_status -eq 124 ] || [ "$s_fail" -eq 0 ]; then
    verdict="DEFECT: the check does not fail on the starter (exit $s_status)"
    bad=1
  fi
  if [ $r_status -ne 0 ]; then
    verdict="DEFECT: the check fails on the reference solution (exit $r_status)"
    cat "$build/exercises/$name-solution.out"
    bad=1
  fi
  printf '%-22s %7ss %11ss %11ss  %s\n' "$name" "$(secs "$t0" "$t1")" "$(secs "$t1" "$t2")" "$(secs "$t2" "$t3")" "$verdict"
done
rm -f "$build/exercise-ci.log"
echo "exercises: $(secs "$start" "$(now)") s in all"
exit $bad
