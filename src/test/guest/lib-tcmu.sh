# Helpers of the TCMU scenarios (LIO user backstores served by jtarget or by tcmu-runner), on top of
# lib.sh (fail, log, metric, retry, at_exit, lio_*, iscsi_*, jtarget_*). POSIX sh.

# tcmu_disk SERIAL: waits (120 s) for the SCSI disk whose unit serial (VPD page 80h) is SERIAL;
# prints /dev/sdX. lio_user gives each backstore the serial jtarget-guest-NAME.
tcmu_disk() {
  retry 120 _tcmu_disk_present "$1" || fail "no SCSI disk with unit serial $1 appeared"
  _tcmu_disk_present "$1"
}
_tcmu_disk_present() {
  for _s in /sys/block/sd*; do
    [ -e "$_s/device/vpd_pg80" ] || continue
    if tr -d '\000' < "$_s/device/vpd_pg80" | grep -q "$1\$"; then echo "/dev/${_s##*/}"; return 0; fi
  done
  return 1
}

# tcmu_unexport BACKSTORE: unlinks BACKSTORE (a configfs path) from every fabric LUN
tcmu_unexport() {
  for _l in $(find "$LIO/loopback" "$LIO/iscsi" -type l 2>/dev/null); do
    [ "$(readlink -f "$_l")" = "$(readlink -f "$1")" ] && rm -f "$_l"
  done
  return 0
}

# tcmu_remove BACKSTORE: removes the backstore (LIO sends REMOVED_DEVICE to the handler)
tcmu_remove() {
  tcmu_unexport "$1"
  retry 30 rmdir "$1" || fail "cannot remove backstore $1"
}

# tcmu_release_rings: stops every handler's jtarget, then fails what is left in any user backstore's
# ring (reset_ring 2: CHECK CONDITION), so that LIO can remove the devices without waiting for
# their cmd_time_out (clean-up after a failure: never fails)
tcmu_release_rings() {
  jtarget_stop_all
  for _r in "$LIO"/core/user_*/*/action/reset_ring; do
    [ -e "$_r" ] && echo 2 > "$_r" 2>/dev/null
  done
  return 0
}

# tcmu_jtarget_handler ARGS...: starts `jtarget tcmu ARGS` as jtarget_start starts `serve` (the same
# JVM options, the same log), and waits for its banner; sets JTARGET_PID
tcmu_jtarget_handler() {
  jtarget_run tcmu "$@"
}

# tcmu_closed NAME: waits until jtarget logged that it closed the device NAME
tcmu_closed() {
  retry 60 grep -q "/$1: .* closed:" "$GUEST_OUT/$GUEST_SCENARIO-jtarget.log" || fail "jtarget did not close $1"
}

# tcmu_stat NAME KEY: a counter jtarget logged when it closed the device NAME
tcmu_stat() {
  grep "/$1: .* closed:" "$GUEST_OUT/$GUEST_SCENARIO-jtarget.log" | tail -1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# tcmu_block_ios DEV: I/Os the block layer completed on DEV (reads + writes, /sys/block/X/stat)
tcmu_block_ios() {
  set -- $(cat "/sys/block/${1#/dev/}/stat")
  echo $(($1 + $5))
}

# tcmu_lio_cmds BACKSTORE: LIO's command count of the backstore
tcmu_lio_cmds() {
  cat "$1/statistics/scsi_lu/num_cmds"
}

# tcmu_workload DEV: the measured I/O: 16 MiB written, then read, with O_DIRECT in 64 KiB requests,
# one stream (four parallel dd streams stalled through tcm_loop with either handler, tcmu-runner's too)
tcmu_workload() {
  dd if=/dev/zero of="$1" bs=64k count=256 oflag=direct status=none || fail "workload write on $1"
  dd if="$1" of=/dev/null bs=64k count=256 iflag=direct status=none || fail "workload read on $1"
}

# tcmu_ratio A B: A/B with two decimals
tcmu_ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f\n", a / b }'
}
