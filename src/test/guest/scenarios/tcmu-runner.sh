# The reference peer: the same LIO user backstore steps with Debian's tcmu-runner as the handler
# (its qcow handler: a fully preallocated qcow2 image on tmpfs), and its ring traffic counted from
# outside with strace (reads of the uio event count = wake-ups, 4-byte writes = kicks) beside
# LIO's command count, for comparison with the tcmu-jtarget scenario's METRIC lines.
. src/test/guest/lib-tcmu.sh
IQN=iqn.2026-12.io.jtarget.test:tcmu-runner
RLOG=$GUEST_OUT/tcmu-runner-daemon.log
TRACE=/tmp/tcmu-runner.strace
cleanup() {
  tcmu_iscsi_logout $IQN
  [ -n "${STRACE_PID:-}" ] && kill $STRACE_PID 2>/dev/null
  tcmu_lio_cleanup
  [ -n "${RUNNER_PID:-}" ] && { kill $RUNNER_PID 2>/dev/null; sleep 2; kill -KILL $RUNNER_PID 2>/dev/null; }
  rm -f /tmp/tcmu-runner-*.qcow2 /tmp/tcmu-runner-pattern $TRACE
}
trap cleanup EXIT
command -v tcmu-runner >/dev/null || fail "tcmu-runner is not installed (Debian package tcmu-runner)"
command -v strace >/dev/null || fail "strace is not installed (Debian package strace)"
tcmu_lio_init

qemu-img create -q -f qcow2 -o preallocation=full /tmp/tcmu-runner-a.qcow2 128M || fail "qemu-img create"
qemu-img create -q -f qcow2 -o preallocation=full /tmp/tcmu-runner-m.qcow2 64M || fail "qemu-img create"
mkdir -p /tmp/tcmu-runner-log
tcmu-runner -l /tmp/tcmu-runner-log > "$RLOG" 2>&1 & RUNNER_PID=$!
sleep 3
kill -0 $RUNNER_PID 2>/dev/null || fail "tcmu-runner exited: $(tail -3 "$RLOG")"

# The functional steps: tcm_loop (mkfs, 64 MiB, remount, verify) and LIO's iSCSI fabric.
tcmu_backstore runnera qcow//tmp/tcmu-runner-a.qcow2 134217728 5001405f00000011 || fail "tcmu-runner did not take the device"
tcmu_loop_export runnera 0
dev=$(tcmu_wait_disk 5001405f00000011) || fail "no local disk from tcm_loop"
sg_inq "$dev" > "$GUEST_OUT/tcmu-runner-inq.txt" || fail "sg_inq $dev"
grep -q "Unit serial number: 5001405f00000011" "$GUEST_OUT/tcmu-runner-inq.txt" || fail "unit serial"
sg_readcap "$dev" | grep -q "Device size: 134217728 bytes" || fail "READ CAPACITY"
mkfs_write_verify "$dev" 64 || fail "mkfs/write/verify over tcm_loop with tcmu-runner"
tcmu_loop_unexport 0
tcmu_iscsi_export runnera $IQN 3272
tcmu_iscsi_login 127.0.0.1:3272 $IQN
dev=$(tcmu_wait_disk 5001405f00000011) || fail "no disk from the LIO iSCSI session"
sg_readcap "$dev" | grep -q "Device size: 134217728 bytes" || fail "READ CAPACITY over iSCSI"
dd if=/dev/urandom of=/tmp/tcmu-runner-pattern bs=1M count=8 status=none
dd if=/tmp/tcmu-runner-pattern of="$dev" bs=64k oflag=direct status=none || fail "write over iSCSI"
cmp -n 8388608 /tmp/tcmu-runner-pattern "$dev" || fail "read-back over iSCSI differs"
tcmu_iscsi_logout $IQN
tcmu_iscsi_unexport $IQN
tcmu_backstore_remove runnera

# Ring traffic of a fresh device over its whole life, as the tcmu-jtarget scenario measures it.
strace -f -qq -e trace=openat,read,write,close -o $TRACE -p $RUNNER_PID & STRACE_PID=$!
sleep 2
tcmu_backstore runnerm qcow//tmp/tcmu-runner-m.qcow2 67108864 5001405f00000012 || fail "meter device"
tcmu_loop_export runnerm 1
dev=$(tcmu_wait_disk 5001405f00000012) || fail "no meter disk"
before=$(tcmu_block_ios "$dev")
tcmu_workload "$dev"
ios=$(( $(tcmu_block_ios "$dev") - before ))
lio=$(tcmu_lio_cmds runnerm)
tcmu_loop_unexport 1
tcmu_backstore_remove runnerm
sleep 2
kill $STRACE_PID 2>/dev/null; wait $STRACE_PID 2>/dev/null; STRACE_PID=

# The uio descriptor of the device, then its 4-byte reads (one per wake-up) and writes (kicks).
fd=$(sed -n 's/.*openat(.*"\/dev\/uio[0-9]*".*) = \([0-9][0-9]*\)$/\1/p' $TRACE | tail -1)
[ -n "$fd" ] || fail "tcmu-runner never opened /dev/uio* (strace: $(wc -l < $TRACE) lines)"
wk=$(grep -c "read($fd, .*, 4) *= 4" $TRACE)
kk=$(grep -c "write($fd, .*, 4) *= 4" $TRACE)
echo "METRIC tcmu_runner_workload_block_ios=$ios"
echo "METRIC tcmu_runner_lio_cmds=$lio"
echo "METRIC tcmu_runner_wakeups=$wk"
echo "METRIC tcmu_runner_kicks=$kk"
echo "METRIC tcmu_runner_wakeups_per_lio_cmd=$(tcmu_ratio "$wk" "$lio")"
echo "METRIC tcmu_runner_kicks_per_lio_cmd=$(tcmu_ratio "$kk" "$lio")"
exit 0
