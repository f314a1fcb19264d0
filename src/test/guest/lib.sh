# lib.sh: helpers for guest scenarios (POSIX sh). A scenario runs inside the guest as root, with the
# repository root as its current directory, after `. src/test/guest/lib.sh`. See README.md here.
#
# On exit (success, failure or a signal) the library cleans up what its helpers started: iSCSI
# sessions and node records, jtarget processes, LIO configuration, so the next scenario in the same
# guest starts clean. A scenario adds its own clean-up with `at_exit COMMAND`.

GUEST_SCENARIO=${GUEST_SCENARIO:-$(basename "$0" .sh)}
GUEST_OUT=${GUEST_OUT:-$PWD/target/guest}
GUEST_RUN=/tmp/jtarget-guest                    # guest-local state: pid files, disk images
LIO=/sys/kernel/config/target
mkdir -p "$GUEST_OUT" "$GUEST_RUN"

# --- results --------------------------------------------------------------------------------------

# fail MSG...: prints the one-line reason and ends the scenario with exit code 1
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# log MSG...: a progress line with the guest's uptime (the scenario log is for people)
log() {
  echo "[$(cut -d' ' -f1 /proc/uptime)] $*"
}

# metric KEY VALUE: a count for the report (suite output and the JUnit report show these lines)
metric() {
  echo "METRIC $1=$2"
}

# retry SECONDS COMMAND...: runs COMMAND every half second until it succeeds; fails after SECONDS
retry() {
  _deadline=$(( $(date +%s) + $1 ))
  shift
  until "$@"; do
    [ "$(date +%s)" -lt "$_deadline" ] || return 1
    sleep 0.5
  done
}

_at_exit=""
# at_exit COMMAND: runs COMMAND (a string for eval) when the scenario ends, newest first
at_exit() {
  _at_exit="$1
$_at_exit"
}

guest_cleanup() {
  _status=$?
  trap - EXIT INT TERM
  printf '%s\n' "$_at_exit" | while IFS= read -r _cmd; do
    [ -n "$_cmd" ] && { eval "$_cmd" < /dev/null || true; }
  done
  guest_reset >/dev/null 2>&1
  exit "$_status"
}
trap guest_cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# guest_reset: ends every iSCSI session, stops every jtarget the helpers started and clears LIO
# (suite.sh runs it between scenarios as well)
guest_reset() {
  iscsi_logout_all
  jtarget_stop_all
  lio_reset
}

# --- jtarget ----------------------------------------------------------------------------------------

# java_home: the JDK 25 to run jtarget with ($JAVA_HOME when it is one)
java_home() {
  for _j in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25*; do
    [ -n "$_j" ] && [ -x "$_j/bin/java" ] && { echo "$_j"; return 0; }
  done
  fail "no JDK 25 found (set JAVA_HOME)"
}

JTARGET_PID=""
# JVM options for every jtarget in the guest: on two emulated CPUs, the serial collector and C1
# alone have fewer threads competing with the work (one measurement on a loaded host: serving after
# 50 s against 90-120 s with the defaults). And under QEMU's TCG the defaults (G1, C2) are not safe
# to test with: the only jtarget started without these options (`jtarget tcmu`) died twice with
# SIGSEGV in unrelated JDK code (Buffer.position, ByteArray.getUnsignedShort, c1 frames, the error
# report itself crashing), never one started with them. Behaviour is what the guest tests, not speed.
JTARGET_GUEST_JAVA_OPTS=${JTARGET_GUEST_JAVA_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1}

# jtarget_start ARGS...: starts `jtarget serve ARGS` in the background (log in
# $GUEST_OUT/<scenario>-jtarget.log) and waits until it serves; sets JTARGET_PID.
# Several may run at once; jtarget_stop stops the newest, jtarget_stop_all every one.
jtarget_start() {
  jtarget_run serve "$@"
}

# jtarget_run COMMAND ARGS...: the same for any jtarget command that prints the
# "jtarget is serving" banner when ready (e.g. `jtarget_run tcmu ...`)
jtarget_run() {
  [ -f target/jtarget.jar ] || fail "target/jtarget.jar missing: run ./mvnw -DskipTests package"
  _jlog="$GUEST_OUT/$GUEST_SCENARIO-jtarget.log"
  # one log per scenario; a restarted jtarget appends: wait for one more "serving" banner
  _jserving=$(grep -c 'jtarget is serving' "$_jlog" 2>/dev/null)
  # shellcheck disable=SC2086 # JTARGET_GUEST_JAVA_OPTS is a list of options
  "$(java_home)/bin/java" $JTARGET_GUEST_JAVA_OPTS --enable-native-access=ALL-UNNAMED -jar target/jtarget.jar "$@" \
    >> "$_jlog" 2>&1 < /dev/null &
  JTARGET_PID=$!
  echo "$JTARGET_PID" > "$GUEST_RUN/jtarget.$JTARGET_PID.pid"
  log "jtarget $* (pid $JTARGET_PID)"
  # a JVM starts in seconds here but everything runs 10-30x slower than on the host
  if ! retry 300 _jtarget_ready "$_jlog" "${_jserving:-0}"; then
    tail -n 20 "$_jlog" >&2
    fail "jtarget $1 did not start serving (log: $_jlog)"
  fi
  log "jtarget serving"
}
# jtarget_cli ARGS...: runs a jtarget client command in the foreground (e.g. `session list
# --data-dir DIR` against a server started with --data-dir DIR)
jtarget_cli() {
  # shellcheck disable=SC2086 # JTARGET_GUEST_JAVA_OPTS is a list of options
  "$(java_home)/bin/java" $JTARGET_GUEST_JAVA_OPTS --enable-native-access=ALL-UNNAMED -jar target/jtarget.jar "$@"
}

_jtarget_ready() {
  kill -0 "$JTARGET_PID" 2>/dev/null || { tail -n 20 "$1" >&2; fail "jtarget exited while starting"; }
  [ "$(grep -c 'jtarget is serving' "$1")" -gt "$2" ]
}

# jtarget_stop [PID]: stops jtarget (default: the newest started) with SIGTERM, as a user would;
# fails if it does not end within 60 s or exits with an error
jtarget_stop() {
  _pid=${1:-$JTARGET_PID}
  [ -n "$_pid" ] || return 0
  kill -TERM "$_pid" 2>/dev/null || true
  if ! retry 60 _gone "$_pid"; then
    kill -KILL "$_pid" 2>/dev/null
    rm -f "$GUEST_RUN/jtarget.$_pid.pid"
    fail "jtarget (pid $_pid) did not stop within 60 s of SIGTERM"
  fi
  wait "$_pid" 2>/dev/null
  _rc=$?
  rm -f "$GUEST_RUN/jtarget.$_pid.pid"
  [ "$_pid" = "$JTARGET_PID" ] && JTARGET_PID=""
  # 143 = killed by SIGTERM before its handler ran; jtarget's own shutdown exits 0
  [ "$_rc" -eq 0 ] || [ "$_rc" -eq 143 ] || [ "$_rc" -eq 127 ] || fail "jtarget exited with $_rc on SIGTERM"
}
_gone() {
  ! kill -0 "$1" 2>/dev/null
}

# jtarget_stop_all: kills every jtarget the helpers started (clean-up: never fails)
jtarget_stop_all() {
  for _f in "$GUEST_RUN"/jtarget.*.pid; do
    [ -f "$_f" ] || continue
    _pid=$(cat "$_f")
    kill -TERM "$_pid" 2>/dev/null && retry 30 _gone "$_pid" || kill -KILL "$_pid" 2>/dev/null
    rm -f "$_f"
  done
  JTARGET_PID=""
}

# --- the kernel's iSCSI initiator (open-iscsi) ---------------------------------------------------------

# iscsid_start: starts iscsid once per guest (the guest has no systemd to socket-activate it)
iscsid_start() {
  pidof iscsid >/dev/null 2>&1 && return 0
  modprobe iscsi_tcp || fail "cannot load iscsi_tcp"
  iscsid || fail "iscsid did not start"
  retry 30 sh -c 'iscsiadm -m session >/dev/null 2>&1; [ $? -ne 20 ]' || fail "iscsid does not answer"
}

# iscsi_discover PORTAL [IFACE]: SendTargets discovery; prints "PORTAL,TPGT IQN" lines
iscsi_discover() {
  iscsid_start
  iscsiadm -m discovery -t sendtargets -p "$1" ${2:+-I "$2"} || fail "discovery at $1 failed"
}

# iscsi_login PORTAL IQN [IFACE]: logs in to IQN at PORTAL (IFACE: iser for iSER; default TCP).
# Creates the node record when discovery did not (a target behind --reach reports an address the
# guest does not use).
iscsi_login() {
  iscsid_start
  iscsiadm -m node -T "$2" -p "$1" ${3:+-I "$3"} >/dev/null 2>&1 ||
    iscsiadm -m node -o new -T "$2" -p "$1" ${3:+-I "$3"} >/dev/null || fail "cannot create the node record of $2"
  iscsiadm -m node -T "$2" -p "$1" ${3:+-I "$3"} --login || fail "login to $2 at $1${3:+ over $3} failed"
}

# iscsi_logout PORTAL IQN [IFACE]: ends that session (fails if the logout fails) and forgets the node
iscsi_logout() {
  iscsiadm -m node -T "$2" -p "$1" ${3:+-I "$3"} --logout || fail "logout from $2 at $1 failed"
  iscsiadm -m node -T "$2" -p "$1" ${3:+-I "$3"} -o delete || fail "cannot delete the node record of $2"
}

# iscsi_logout_all: ends every session and forgets every node and discovery record (never fails)
iscsi_logout_all() {
  pidof iscsid >/dev/null 2>&1 || return 0
  iscsiadm -m node --logoutall=all >/dev/null 2>&1
  iscsiadm -m node -o delete >/dev/null 2>&1
  iscsiadm -m discoverydb -o delete >/dev/null 2>&1
  rm -rf /etc/iscsi/send_targets/* /etc/iscsi/nodes/* 2>/dev/null
  return 0
}

# scsi_disk_of_session [IQN]: prints /dev/sdX of the first LUN of the (only, or IQN's) session,
# waiting up to 60 s for the kernel to create it
scsi_disk_of_session() {
  if ! retry 60 _session_disk "${1:-}" > "$GUEST_RUN/disk"; then
    iscsiadm -m session -P 3 >&2
    fail "no SCSI disk appeared for the session${1:+ to $1}"
  fi
  _d=/dev/$(cat "$GUEST_RUN/disk")
  retry 10 test -b "$_d" || fail "$_d is not a block device"
  echo "$_d"
}
_session_disk() {
  iscsiadm -m session -P 3 2>/dev/null | awk -v want="$1" '
    /^Target: / { t = $2 }
    /Attached scsi disk/ && (want == "" || t == want) { print $4; found = 1; exit }
    END { exit !found }'
}

# --- disks -------------------------------------------------------------------------------------------

# random_data MIB: prints the path of a file of MIB MiB of random data, made once per guest (random
# data costs seconds of emulated CPU per 64 MiB; every scenario may use the same)
random_data() {
  _data=$GUEST_RUN/random-$1M
  if [ ! -s "$_data" ]; then
    head -c "$(($1 * 1048576))" /dev/urandom > "$_data.tmp" && mv "$_data.tmp" "$_data" || fail "no random data"
  fi
  echo "$_data"
}

# mkfs_write_verify DEV MIB: makes an ext4 file system on DEV, writes MIB MiB of random data, syncs,
# unmounts, drops the page cache, mounts again and compares the file byte for byte with what was
# written; fsck must find the file system clean
mkfs_write_verify() {
  _dev=$1 _mib=$2 _mnt=$GUEST_RUN/mnt
  _src=$(random_data "$_mib") || exit 1
  mkdir -p "$_mnt"
  log "mkfs.ext4 $_dev"
  mkfs.ext4 -q -F "$_dev" || fail "mkfs.ext4 $_dev failed"
  mount "$_dev" "$_mnt" || fail "mount $_dev failed"
  case "$_at_exit" in *"umount '$_mnt'"*) ;; *) at_exit "umount '$_mnt' 2>/dev/null" ;; esac
  log "writing $_mib MiB"
  cp "$_src" "$_mnt/data" || fail "writing $_mib MiB to $_dev failed"
  sync || fail "sync failed"
  umount "$_mnt" || fail "umount $_dev failed"
  # the page cache must not answer the read-back
  echo 3 > /proc/sys/vm/drop_caches
  mount "$_dev" "$_mnt" || fail "mount $_dev again failed"
  log "verifying"
  cmp "$_src" "$_mnt/data" || fail "$_mib MiB written to $_dev came back different"
  umount "$_mnt" || fail "umount $_dev failed"
  fsck.ext4 -n -f "$_dev" >/dev/null 2>&1 || fail "fsck.ext4 found errors on $_dev"
  log "$_mib MiB written, read back after remount, equal"
  metric verified_mib "$_mib"
}

# iscsi_disk_roundtrip PORTAL IQN MIB [IFACE]: what a user does with a new iSCSI disk, each step
# checked: SendTargets discovery lists IQN, login, the disk appears, mkfs_write_verify MIB, logout
iscsi_disk_roundtrip() {
  iscsi_discover "$1" ${4:+"$4"} > "$GUEST_RUN/discovered" || exit 1
  cat "$GUEST_RUN/discovered"
  grep -q " $2\$" "$GUEST_RUN/discovered" || fail "SendTargets at $1 did not list $2"
  iscsi_login "$1" "$2" ${4:+"$4"}
  _disk=$(scsi_disk_of_session "$2") || exit 1
  log "logged in: $_disk"
  mkfs_write_verify "$_disk" "$3"
  iscsi_logout "$1" "$2" ${4:+"$4"}
  [ -z "$(iscsiadm -m session 2>/dev/null)" ] || fail "a session is still there after logout"
  log "logged out"
}

# --- LIO, the kernel's target (configfs at /sys/kernel/config/target) ---------------------------------

# lio_load: loads LIO's core and backstore modules and points its dbroot at /tmp/target (kernel
# threads open dbroot paths from the initramfs root: only /tmp is the same there)
lio_load() {
  for _m in target_core_mod target_core_file target_core_iblock target_core_user; do
    modprobe "$_m" || fail "cannot load $_m"
  done
  [ -d "$LIO" ] || fail "$LIO missing (configfs)"
  mkdir -p /tmp/target/pr /tmp/target/alua
  [ "$(cat "$LIO/dbroot")" = /tmp/target ] || echo /tmp/target > "$LIO/dbroot" || fail "cannot set LIO's dbroot"
}

# _lio_backstore HBA NAME CONTROL: creates and enables a backstore device core/HBA/NAME
_lio_backstore() {
  lio_load
  _dev=$LIO/core/$1/$2
  mkdir -p "$_dev" || fail "cannot create LIO backstore $1/$2"
  echo "$3" > "$_dev/control" || fail "LIO rejected '$3' for $1/$2"
  # a unit serial (VPD page 0x80/0x83) per device: persistent reservations need one
  echo "jtarget-guest-$2" > "$_dev/wwn/vpd_unit_serial" 2>/dev/null
  echo 1 > "$_dev/enable" || fail "cannot enable LIO backstore $1/$2"
  echo "$_dev"
}

# lio_fileio NAME FILE SIZE_MIB: a fileio backstore on FILE (created sparse); prints its configfs path
lio_fileio() {
  truncate -s "${3}M" "$2" || fail "cannot create $2"
  _lio_backstore fileio_0 "$1" "fd_dev_name=$2,fd_dev_size=$(( $3 * 1048576 ))"
}

# lio_ramdisk NAME SIZE_MIB: a ramdisk (rd_mcp) backstore; prints its configfs path
lio_ramdisk() {
  _lio_backstore rd_mcp_0 "$1" "rd_pages=$(( $2 * 256 ))"
}

# lio_user NAME SIZE_MIB CONFIG: a TCMU (`user`) backstore whose handler is chosen by CONFIG (the
# dev_config string, e.g. jtarget/file:/tmp/x.img); prints its configfs path
lio_user() {
  _lio_backstore user_0 "$1" "dev_config=$3,dev_size=$(( $2 * 1048576 ))"
}

# lio_iscsi_target IQN: an iSCSI target with TPG 1 (no portal, LUN or access yet)
lio_iscsi_target() {
  lio_load
  modprobe iscsi_target_mod || fail "cannot load iscsi_target_mod"
  mkdir -p "$LIO/iscsi/$1/tpgt_1" || fail "cannot create LIO iSCSI target $1"
}

# lio_iscsi_lun IQN LUN BACKSTORE: exports BACKSTORE (a configfs path printed above) as LUN
lio_iscsi_lun() {
  _lun=$LIO/iscsi/$1/tpgt_1/lun/lun_$2
  mkdir -p "$_lun" || fail "cannot create LUN $2 of $1"
  ln -s "$3" "$_lun/$(basename "$3")" || fail "cannot map $3 to LUN $2 of $1"
}

# lio_iscsi_portal IQN HOST:PORT: a network portal of TPG 1
lio_iscsi_portal() {
  mkdir -p "$LIO/iscsi/$1/tpgt_1/np/$2" || fail "cannot listen on $2 for $1"
}

# lio_iscsi_iser IQN HOST:PORT: turns the portal into an iSER portal (RDMA; needs rxe0)
lio_iscsi_iser() {
  modprobe ib_isert || fail "cannot load ib_isert"
  echo 1 > "$LIO/iscsi/$1/tpgt_1/np/$2/iser" || fail "cannot enable iSER on $2"
}

# lio_iscsi_demo IQN: demo mode (every initiator may log in and sees every LUN, read-write, no
# CHAP), then enables TPG 1
lio_iscsi_demo() {
  _tpg=$LIO/iscsi/$1/tpgt_1
  echo 0 > "$_tpg/attrib/authentication"
  echo 1 > "$_tpg/attrib/generate_node_acls"
  echo 1 > "$_tpg/attrib/cache_dynamic_acls"
  echo 0 > "$_tpg/attrib/demo_mode_write_protect"
  echo 1 > "$_tpg/enable" || fail "cannot enable $1"
}

# lio_iscsi_acl IQN INITIATOR_IQN: lets INITIATOR_IQN in (no CHAP) with every LUN of TPG 1 mapped
# to the same LUN number, then enables TPG 1
lio_iscsi_acl() {
  _tpg=$LIO/iscsi/$1/tpgt_1
  echo 0 > "$_tpg/attrib/authentication"
  echo 0 > "$_tpg/attrib/generate_node_acls"
  mkdir -p "$_tpg/acls/$2" || fail "cannot create the ACL for $2"
  for _l in "$_tpg"/lun/lun_*; do
    [ -d "$_l" ] || continue
    _n=${_l##*/lun_}
    mkdir -p "$_tpg/acls/$2/lun_$_n"
    ln -s "$_l" "$_tpg/acls/$2/lun_$_n/mapped_lun" || fail "cannot map LUN $_n for $2"
  done
  echo 1 > "$_tpg/enable" || fail "cannot enable $1"
}

# lio_loop_disk BACKSTORE: exports BACKSTORE through tcm_loop (the loopback fabric) and prints the
# local SCSI disk (/dev/sdX) the kernel makes for it
lio_loop_disk() {
  modprobe tcm_loop || fail "cannot load tcm_loop"
  _wwn=naa.5001405$(printf '%09x' "$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')")
  _tpg=$LIO/loopback/$_wwn/tpgt_1
  mkdir -p "$_tpg/lun/lun_0" || fail "cannot create a tcm_loop target"
  echo "naa.5001405$(printf '%09x' "$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')")" > "$_tpg/nexus" || fail "cannot create the tcm_loop nexus"
  ln -s "$1" "$_tpg/lun/lun_0/$(basename "$1")" || fail "cannot map $1 to tcm_loop"
  # address: the SCSI host, channel and target of this TPG (host:0:tpgt)
  _addr=$(cat "$_tpg/address")
  retry 60 sh -c "ls /sys/class/scsi_device/$_addr:0/device/block/ 2>/dev/null | grep -q ." \
    || fail "no SCSI disk appeared for tcm_loop $_addr"
  echo "/dev/$(ls "/sys/class/scsi_device/$_addr:0/device/block/" | head -1)"
}

# lio_reset: removes every LIO object (fabric targets, ACLs, LUNs, portals, backstores) with rmdir
# and unlink, the children first (configfs deletes nothing recursively). Never fails.
lio_reset() {
  [ -d "$LIO" ] || return 0
  # links first: ACL LUN mappings and LUN-to-backstore links
  find "$LIO" -mindepth 2 -type l 2>/dev/null > "$GUEST_RUN/lio-links"
  while IFS= read -r _l; do rm -f "$_l"; done < "$GUEST_RUN/lio-links"
  # then directories, the deepest first; the groups configfs made itself refuse rmdir and go with
  # their parent. The fabric directories (target/iscsi, target/core) stay.
  find "$LIO" -mindepth 2 -depth -type d 2>/dev/null > "$GUEST_RUN/lio-dirs"
  while IFS= read -r _d; do rmdir "$_d" 2>/dev/null; done < "$GUEST_RUN/lio-dirs"
  rm -f "$GUEST_RUN/lio-links" "$GUEST_RUN/lio-dirs"
  return 0
}

# lio_objects: prints what is left in LIO (nothing after lio_reset): targets and backstores
lio_objects() {
  [ -d "$LIO" ] || return 0
  for _f in "$LIO"/*/; do
    case "$_f" in
      */core/) ls -d "$LIO"/core/*_*/*/ 2>/dev/null | grep -v '/alua/' ;;
      *) ls -d "$_f"*/tpgt_* 2>/dev/null ;;
    esac
  done
  return 0
}

# rdma_metrics LOG PATTERN PREFIX: the RDMA layer's counts per SCSI command from the last line of
# LOG matching PATTERN ("...closed: N SCSI commands; key=value ..." as the iSER portal and the SRP
# target port log it when they close), as METRIC lines; fails when LOG has no such line
rdma_metrics() {
  _line=$(grep "$2" "$1" | tail -1)
  [ -n "$_line" ] || return 1
  echo "$_line" | sed 's/.*closed: //; s/ SCSI commands;//' | awk -v p="$3" '{
    n = $1; for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    calls = v["post_send"] + v["post_recv"] + v["poll_cq"] + v["req_notify_cq"]
    printf "METRIC %s_scsi_commands=%d\n", p, n
    if (n > 0) {
      printf "METRIC %s_verbs_calls_per_command=%.2f\n", p, calls / n
      printf "METRIC %s_send_wr_per_command=%.2f\n", p, v["send_wr"] / n
      printf "METRIC %s_recv_wr_per_command=%.2f\n", p, v["recv_wr"] / n
      printf "METRIC %s_post_send_per_command=%.2f\n", p, v["post_send"] / n
      printf "METRIC %s_post_recv_per_command=%.2f\n", p, v["post_recv"] / n
      printf "METRIC %s_poll_cq_per_command=%.2f\n", p, v["poll_cq"] / n
      printf "METRIC %s_completions_per_command=%.2f\n", p, v["completions"] / n
      printf "METRIC %s_wakeups_per_command=%.2f\n", p, v["wakeups"] / n
    }
  }'
}
