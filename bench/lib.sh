# Shared by bench/run and bench/syscalls: tools, backing files, starting and stopping the two
# targets. Sourced, not executed. Everything listens on 127.0.0.1 only and everything started
# here is recorded in BENCH_PIDS so the EXIT trap can stop exactly that (never by name).

: "${BENCH_DIR:=${TMPDIR:-/tmp}/jtarget-bench}"
: "${JTARGET_PORT:=3330}"
: "${TGTD_PORT:=3331}"
: "${TGTD_CONTROL_PORT:=33}"           # tgtd -C: keeps our tgtd apart from any other on the host
: "${LUN_MIB:=1024}"
: "${JTARGET_JAVA_OPTS:=}"

JTARGET_IQN="iqn.2026-11.io.jtarget:bench"
TGTD_IQN="iqn.2026-11.io.jtarget:bench-tgtd"
JTARGET_URL="iscsi://127.0.0.1:${JTARGET_PORT}/${JTARGET_IQN}/0"
TGTD_URL="iscsi://127.0.0.1:${TGTD_PORT}/${TGTD_IQN}/1"   # tgtd's LUN 0 is its controller
BENCH_PIDS=()
JTARGET_PID=""
TGTD_PID=""

bench_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

die() {
  echo "bench: $*" >&2
  exit 1
}

log() {
  echo "bench: $*" >&2
}

# Debian packages and the commands they provide.
bench_require_tools() {
  local -a missing=()
  local pkg
  for pkg in libiscsi-bin:iscsi-perf qemu-utils:qemu-img qemu-block-extra: tgt:tgtd strace:strace; do
    local name="${pkg%%:*}" cmd="${pkg#*:}"
    if ! dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$name")
    elif [ -n "$cmd" ] && ! command -v "$cmd" >/dev/null && [ ! -x "/usr/sbin/$cmd" ]; then
      missing+=("$name")
    fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} (apt-get)"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
      command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}; install them and run again"
      sudo="sudo"
    fi
    $sudo apt-get update -qq >&2 || die "apt-get update failed; install by hand: apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
      || die "apt-get install ${missing[*]} failed; install them by hand and run again"
  fi
  command -v python3 >/dev/null || die "python3 is needed for the result table (apt-get install python3-minimal)"
  command -v iscsi-perf >/dev/null || die "iscsi-perf not found after installing libiscsi-bin"
  command -v qemu-img >/dev/null || die "qemu-img not found after installing qemu-utils"
  qemu-img --help | grep -q iscsi || die "qemu-img has no iscsi:// driver (package qemu-block-extra)"
  TGTD="$(command -v tgtd || echo /usr/sbin/tgtd)"
  TGTADM="$(command -v tgtadm || echo /usr/sbin/tgtadm)"
  [ -x "$TGTD" ] || die "tgtd not found after installing tgt"
  [ "$(id -u)" -eq 0 ] || die "tgtd needs root; run bench as root"
}

bench_build() {
  . "$bench_root/scripts/java-home.sh"
  jtarget_find_java_home
  export JAVA_HOME
  log "building jtarget (mvnw -DskipTests package)"
  (cd "$bench_root" && { ./mvnw -q -B -o -DskipTests -Djtarget.dist.skip=true package >&2 || ./mvnw -q -B -DskipTests -Djtarget.dist.skip=true package >&2; }) \
    || die "build failed"
  [ -f "$bench_root/target/jtarget.jar" ] || die "build produced no target/jtarget.jar"
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Two identical backing files, written in full (no holes) and read once so both live in the page cache.
bench_backing_files() {
  mkdir -p "$BENCH_DIR"
  local want=$((LUN_MIB * 1024 * 1024)) f
  for f in jtarget.img tgtd.img; do
    if [ ! -f "$BENCH_DIR/$f" ] || [ "$(stat -c %s "$BENCH_DIR/$f")" -ne "$want" ] \
        || [ "$(stat -c %b "$BENCH_DIR/$f")" -lt $((want / 512)) ]; then
      log "creating $BENCH_DIR/$f ($LUN_MIB MiB, random content)"
      dd if=/dev/urandom of="$BENCH_DIR/$f" bs=1M count="$LUN_MIB" status=none || die "cannot write $BENCH_DIR/$f"
    fi
  done
  cat "$BENCH_DIR/jtarget.img" "$BENCH_DIR/tgtd.img" >/dev/null
}

bench_start_jtarget() {
  port_free "$JTARGET_PORT" || die "127.0.0.1:$JTARGET_PORT is in use (set JTARGET_PORT)"
  # shellcheck disable=SC2086
  "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED $JTARGET_JAVA_OPTS \
    -jar "$bench_root/target/jtarget.jar" serve --listen "127.0.0.1:$JTARGET_PORT" \
    --target "$JTARGET_IQN" --lun "file:$BENCH_DIR/jtarget.img" \
    >"$BENCH_DIR/jtarget.log" 2>&1 &
  JTARGET_PID=$!
  BENCH_PIDS+=("$JTARGET_PID")
  local i
  for i in $(seq 1 100); do
    port_free "$JTARGET_PORT" || return 0
    kill -0 "$JTARGET_PID" 2>/dev/null || { cat "$BENCH_DIR/jtarget.log" >&2; die "jtarget exited"; }
    sleep 0.1
  done
  die "jtarget did not listen on 127.0.0.1:$JTARGET_PORT within 10 s (see $BENCH_DIR/jtarget.log)"
}

bench_start_tgtd() {
  port_free "$TGTD_PORT" || die "127.0.0.1:$TGTD_PORT is in use (set TGTD_PORT)"
  "$TGTD" -f -C "$TGTD_CONTROL_PORT" --iscsi "portal=127.0.0.1:$TGTD_PORT" >"$BENCH_DIR/tgtd.log" 2>&1 &
  TGTD_PID=$!
  BENCH_PIDS+=("$TGTD_PID")
  local i
  for i in $(seq 1 50); do
    "$TGTADM" -C "$TGTD_CONTROL_PORT" --lld iscsi --op show --mode target >/dev/null 2>&1 && break
    kill -0 "$TGTD_PID" 2>/dev/null || { cat "$BENCH_DIR/tgtd.log" >&2; die "tgtd exited (control port $TGTD_CONTROL_PORT taken?)"; }
    sleep 0.1
  done
  "$TGTADM" -C "$TGTD_CONTROL_PORT" --lld iscsi --op new --mode target --tid 1 -T "$TGTD_IQN" \
    && "$TGTADM" -C "$TGTD_CONTROL_PORT" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 \
         -b "$BENCH_DIR/tgtd.img" \
    && "$TGTADM" -C "$TGTD_CONTROL_PORT" --lld iscsi --op bind --mode target --tid 1 -I ALL \
    || die "configuring tgtd failed (see $BENCH_DIR/tgtd.log)"
}

bench_stop_all() {
  local pid
  if [ -n "$TGTD_PID" ] && kill -0 "$TGTD_PID" 2>/dev/null; then
    # tgtd ignores SIGTERM while it has targets; ask it to stop through its own control port.
    "$TGTADM" -C "$TGTD_CONTROL_PORT" --op delete --mode system --force >/dev/null 2>&1 || true
  fi
  for pid in "${BENCH_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${BENCH_PIDS[@]}"; do
    local i
    for i in $(seq 1 30); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  BENCH_PIDS=()
}

# CPU time (utime + stime, all threads) of a process in clock ticks.
cpu_ticks() {
  awk '{print $14 + $15}' "/proc/$1/stat"
}

# Runs one workload against a URL; prints "<ios> <seconds>".
#   rr4k32  4 KiB random read, 32 outstanding   iscsi-perf -m 32 -b 8 -r
#   seq128k 128 KiB sequential read, 32 out.    iscsi-perf -m 32 -b 256
#   rr4k1   4 KiB random read, 1 outstanding    iscsi-perf -m 1 -b 8 -r
#   w4k32   4 KiB sequential write, 32 out.     qemu-img bench -w -d 32 -s 4096
# iscsi-perf's -b counts 512-byte blocks (both LUNs have 512-byte blocks).
run_workload() {
  local workload="$1" url="$2" seconds="$3" out
  case "$workload" in
    rr4k32|seq128k|rr4k1)
      local args
      case "$workload" in
        rr4k32) args="-m 32 -b 8 -r" ;;
        seq128k) args="-m 32 -b 256" ;;
        rr4k1) args="-m 1 -b 8 -r" ;;
      esac
      # shellcheck disable=SC2086
      out="$(timeout $((seconds + 30)) iscsi-perf $args -t "$seconds" "$url" 2>&1 | tr '\r' '\n')" \
        || die "iscsi-perf $args failed against $url: $(tail -3 <<<"$out")"
      local iops
      iops="$(sed -n 's/^iops average \([0-9]*\) .*/\1/p' <<<"$out" | tail -1)"
      [ -n "$iops" ] || die "no result from iscsi-perf against $url: $(tail -3 <<<"$out")"
      echo "$((iops * seconds)) $seconds"
      ;;
    w4k32)
      # A fixed count sized to take about $seconds at ~60k IOPS, capped to stay inside the LUN
      # (sequential from offset 0, step 4 KiB: every request is a new 4 KiB block).
      local count=${W4K_COUNT:-$((seconds * 50000))} max=$((LUN_MIB * 256))
      [ "$count" -le "$max" ] || count=$max
      out="$(timeout $((seconds * 10 + 30)) qemu-img bench -f raw -t none -w -d 32 -s 4096 -c "$count" -o 0 "$url" 2>&1)" \
        || die "qemu-img bench failed against $url: $(tail -3 <<<"$out")"
      local secs
      secs="$(sed -n 's/^Run completed in \([0-9.]*\) seconds.*/\1/p' <<<"$out")"
      [ -n "$secs" ] || die "no result from qemu-img bench against $url: $out"
      echo "$count $secs"
      ;;
    *) die "unknown workload $workload" ;;
  esac
}

workload_bytes() {
  case "$1" in
    seq128k) echo 131072 ;;
    *) echo 4096 ;;
  esac
}
