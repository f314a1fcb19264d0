#!/bin/sh
# suite.sh [SCENARIO...]: runs, inside one guest, the given scenarios (names or paths; default:
# every src/test/guest/scenarios/*.sh in name order) one after another, each under a time limit
# (GUEST_SCENARIO_TIMEOUT seconds, default 300), from the repository root. For each it writes
# $GUEST_OUT/<name>.log (its output) and $GUEST_OUT/<name>.rc (its exit code; 124: timed out) and
# prints one summary line. Exit code: 0 when every scenario passed, 1 otherwise.
# Typical use, from the repository root on the host:
#   src/test/guest/run.sh --rxe -- sh src/test/guest/suite.sh tcp-jtarget
dir=src/test/guest
[ -f "$dir/lib.sh" ] || { echo "suite.sh: run me from the repository root" >&2; exit 2; }
GUEST_OUT=${GUEST_OUT:-$PWD/target/guest}
export GUEST_OUT
mkdir -p "$GUEST_OUT"
limit=${GUEST_SCENARIO_TIMEOUT:-300}

if [ $# -eq 0 ]; then
  set -- $(ls "$dir"/scenarios/*.sh 2>/dev/null | sort)
fi
echo "suite: $# scenarios on $(uname -r), $(nproc) CPUs, up $(cut -d' ' -f1 /proc/uptime) s"
failed=0
for s in "$@"; do
  name=$(basename "$s" .sh)
  script=$dir/scenarios/$name.sh
  rm -f "$GUEST_OUT/$name".* "$GUEST_OUT/$name"-*
  start=$(cut -d' ' -f1 /proc/uptime)
  if [ -f "$script" ]; then
    GUEST_SCENARIO=$name timeout -k 10 "$limit" sh -c '. "$1/lib.sh"; . "$2"' "$name" "$dir" "$script" \
      > "$GUEST_OUT/$name.log" 2>&1 < /dev/null
    rc=$?
  else
    echo "FAIL: no scenario $script" > "$GUEST_OUT/$name.log"
    rc=2
  fi
  [ $rc -eq 124 ] && echo "FAIL: timed out after $limit s" >> "$GUEST_OUT/$name.log"
  echo $rc > "$GUEST_OUT/$name.rc"
  seconds=$(awk -v a="$start" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')
  echo "METRIC seconds=$seconds" >> "$GUEST_OUT/$name.log"
  # a scenario killed by its time limit could not clean up: do it for the next one
  ( GUEST_SCENARIO=$name; . "$dir/lib.sh"; trap - EXIT; guest_reset ) > /dev/null 2>&1
  if [ $rc -eq 0 ]; then verdict=ok; else verdict="FAILED (exit $rc)"; failed=$((failed + 1)); fi
  echo "suite: $name $verdict in $seconds s"
done
echo "suite: $failed of $# failed, up $(cut -d' ' -f1 /proc/uptime) s"
[ $failed -eq 0 ]
