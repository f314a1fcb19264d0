# Helpers for the TCMU scenarios (LIO user backstores served by jtarget or by tcmu-runner).
# Sourced after src/test/guest/lib.sh (fail, GUEST_OUT). POSIX sh.

LIO=/sys/kernel/config/target
TCMU_HBA=$LIO/core/user_7
TCMU_LOOP_WWN=naa.50014050000000a1
TCMU_LOOP_NEXUS=naa.50014050000000a2
TCMU_JAVA=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java

# Kernel threads open paths from the initramfs root: LIO's dbroot must live under the shared /tmp.
tcmu_lio_init() {
  [ -d $LIO/core ] || fail "LIO configfs is missing ($LIO)"
  [ -d /sys/module/target_core_user ] || fail "target_core_user is not loaded"
  [ -d /sys/module/tcm_loop ] || modprobe tcm_loop || fail "tcm_loop is not available"
  mkdir -p /tmp/target/pr /tmp/target/alua
  [ "$(cat $LIO/dbroot)" = /tmp/target ] || echo /tmp/target > $LIO/dbroot 2>/dev/null || true
}

# tcmu_backstore NAME DEV_CONFIG SIZE_BYTES SERIAL [EXTRA_CONTROL]: create and enable a user backstore.
# Enabling waits for the handler's ADDED_DEVICE_DONE when a handler asked for replies.
tcmu_backstore() {
  d=$TCMU_HBA/$1
  mkdir -p "$d" || fail "mkdir $d"
  echo "dev_config=$2,dev_size=$3${5:+,$5}" > "$d/control" || fail "control of $1"
  echo "$4" > "$d/wwn/vpd_unit_serial" || fail "unit serial of $1"
  echo 1 > "$d/enable" || return 1
}

tcmu_backstore_remove() {
  rmdir "$TCMU_HBA/$1" 2>/dev/null || { sleep 2; rmdir "$TCMU_HBA/$1"; } || fail "rmdir backstore $1"
}

# The block device the kernel made for a SCSI device with this unit serial (VPD page 80h).
tcmu_disk_by_serial() {
  for s in /sys/block/sd*; do
    [ -e "$s/device/vpd_pg80" ] || continue
    if tr -d '\000' < "$s/device/vpd_pg80" | grep -q "$1"; then echo "/dev/${s##*/}"; return 0; fi
  done
  return 1
}

tcmu_wait_disk() { # SERIAL [SECONDS] -> prints /dev/sdX
  i=0
  while [ $i -lt "${2:-120}" ]; do
    tcmu_disk_by_serial "$1" && return 0
    sleep 1; i=$((i + 1))
  done
  return 1
}

# tcm_loop: a local SCSI host whose LUN N is the backstore NAME.
tcmu_loop_export() { # NAME LUN
  t=$LIO/loopback/$TCMU_LOOP_WWN/tpgt_1
  mkdir -p "$t/lun/lun_$2" || fail "tcm_loop lun_$2"
  [ "$(cat "$t/nexus" 2>/dev/null)" = "$TCMU_LOOP_NEXUS" ] || echo "$TCMU_LOOP_NEXUS" > "$t/nexus" || fail "tcm_loop nexus"
  ln -s "$TCMU_HBA/$1" "$t/lun/lun_$2/$1" || fail "tcm_loop link $1"
}

tcmu_loop_unexport() { # LUN
  t=$LIO/loopback/$TCMU_LOOP_WWN/tpgt_1
  for l in "$t/lun/lun_$1"/*; do [ -L "$l" ] && rm -f "$l"; done
  rmdir "$t/lun/lun_$1" 2>/dev/null || true
}

# LIO's iSCSI fabric on PORT: target IQN, LUN 0 = backstore NAME, any initiator, no authentication.
tcmu_iscsi_export() { # NAME IQN PORT
  t=$LIO/iscsi/$2/tpgt_1
  mkdir -p "$t/np/127.0.0.1:$3" "$t/lun/lun_0" || fail "LIO iSCSI target $2"
  ln -s "$TCMU_HBA/$1" "$t/lun/lun_0/$1" || fail "LIO iSCSI lun link"
  echo 1 > "$t/attrib/generate_node_acls"; echo 1 > "$t/attrib/cache_dynamic_acls"
  echo 0 > "$t/attrib/demo_mode_write_protect"; echo 0 > "$t/attrib/authentication"
  echo 1 > "$t/enable" || fail "enable LIO iSCSI target"
}

tcmu_iscsi_unexport() { # IQN
  t=$LIO/iscsi/$1/tpgt_1
  echo 0 > "$t/enable" 2>/dev/null
  for l in "$t"/lun/lun_0/*; do [ -L "$l" ] && rm -f "$l"; done
  rmdir "$t/lun/lun_0" "$t"/np/* "$t" "$LIO/iscsi/$1" 2>/dev/null || true
}

# Remove every LIO object this file creates (also after a failure half-way).
tcmu_lio_cleanup() {
  for t in $LIO/iscsi/iqn.2026-12.io.jtarget.test:tcmu*; do [ -d "$t" ] && tcmu_iscsi_unexport "${t##*/}"; done
  if [ -d $LIO/loopback/$TCMU_LOOP_WWN ]; then
    for l in $LIO/loopback/$TCMU_LOOP_WWN/tpgt_1/lun/lun_*; do [ -d "$l" ] && tcmu_loop_unexport "${l##*_}"; done
    echo "$TCMU_LOOP_NEXUS" > /dev/null
    rmdir $LIO/loopback/$TCMU_LOOP_WWN/tpgt_1 $LIO/loopback/$TCMU_LOOP_WWN 2>/dev/null
  fi
  for d in $TCMU_HBA/*; do [ -d "$d/wwn" ] && rmdir "$d" 2>/dev/null; done
  rmdir $TCMU_HBA 2>/dev/null || true
}

# jtarget as the handler, standalone (`jtarget tcmu`), its log in $GUEST_OUT/$1.log.
tcmu_jtarget_start() { # LOGNAME [ARGS...]
  log=$GUEST_OUT/$1.log; shift
  "$TCMU_JAVA" --enable-native-access=ALL-UNNAMED -jar target/jtarget.jar "$@" >> "$log" 2>&1 &
  TCMU_JTARGET_PID=$!
  i=0
  until grep -q "TCMU handler" "$log" 2>/dev/null; do
    kill -0 $TCMU_JTARGET_PID 2>/dev/null || { tail -5 "$log"; fail "jtarget $* exited"; }
    [ $i -lt 240 ] || fail "jtarget $* not serving after 240 s"
    sleep 1; i=$((i + 1))
  done
}

tcmu_jtarget_stop() {
  [ -n "${TCMU_JTARGET_PID:-}" ] || return 0
  kill -TERM $TCMU_JTARGET_PID 2>/dev/null
  i=0
  while kill -0 $TCMU_JTARGET_PID 2>/dev/null && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done
  kill -KILL $TCMU_JTARGET_PID 2>/dev/null
  TCMU_JTARGET_PID=
}

# I/Os the block layer completed on DEV (reads + writes, /sys/block/X/stat fields 1 and 5).
tcmu_block_ios() {
  set -- $(cat /sys/block/${1#/dev/}/stat)
  echo $(($1 + $5))
}

# The measured workload: 16 MiB written and read back with O_DIRECT, four streams at once.
tcmu_workload() { # DEV
  for k in 0 1 2 3; do
    dd if=/dev/zero of="$1" bs=64k count=64 seek=$((k * 64)) oflag=direct status=none &
  done
  wait
  for k in 0 1 2 3; do
    dd if="$1" of=/dev/null bs=64k count=64 skip=$((k * 64)) iflag=direct status=none &
  done
  wait
}

# ratio A B: A/B with two decimals.
tcmu_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f\n", a / b }'; }

# Log in with the kernel initiator to PORTAL (127.0.0.1:PORT) for IQN.
tcmu_iscsi_login() { # PORTAL IQN
  pgrep -x iscsid >/dev/null || { mkdir -p /run/lock/iscsi; iscsid || fail "iscsid does not start"; sleep 1; }
  iscsiadm -m discovery -t st -p "$1" >/dev/null || fail "discovery at $1"
  iscsiadm -m node -T "$2" -p "$1" --login >/dev/null || fail "login to $2"
}

tcmu_iscsi_logout() { # IQN
  iscsiadm -m node -T "$1" --logout >/dev/null 2>&1
  iscsiadm -m node -T "$1" -o delete >/dev/null 2>&1
  return 0
}

# LIO's command count of a backstore (statistics/scsi_lu/num_cmds).
tcmu_lio_cmds() { cat "$TCMU_HBA/$1/statistics/scsi_lu/num_cmds"; }

# The counters jtarget logs when it closes a device: tcmu_jtarget_stat LOG NAME KEY
tcmu_jtarget_stat() {
  grep "user_7/$2:.* closed:" "$1" | tail -1 | tr ' ' '\n' | sed -n "s/^$3=//p"
}
