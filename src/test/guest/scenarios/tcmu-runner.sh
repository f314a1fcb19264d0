# The reference peer: the same LIO user backstore steps with Debian's tcmu-runner as the handler
# (its qcow handler, on a fully preallocated qcow2 image under /tmp): tcm_loop with ext4 and
# 64 MiB verified, LIO's iSCSI fabric with the kernel initiator; then a fresh device's ring traffic
# counted from outside: tcmu-runner runs under strace (seccomp-filtered to openat/read/write, so only
# those calls stop it; 4-byte reads of the uio descriptor = wake-ups, 4-byte writes = kicks), and the
# kernel's own count of notifications (/sys/class/uio/uioN/event) beside LIO's command count, to
# compare with tcmu-jtarget-restart's METRIC lines.
. src/test/guest/lib-tcmu.sh
IQN=iqn.2026-12.io.jtarget.test:tcmu-runner
TRACE=$GUEST_RUN/tcmu-runner.strace
command -v tcmu-runner > /dev/null || fail "tcmu-runner is not installed (Debian package tcmu-runner)"
command -v strace > /dev/null || fail "strace is not installed (Debian package strace)"
command -v qemu-img > /dev/null || fail "qemu-img is not installed (Debian package qemu-utils)"
lio_load
qemu-img create -q -f qcow2 -o preallocation=full /tmp/tcmu-runner-a.qcow2 128M || fail "qemu-img create"
qemu-img create -q -f qcow2 -o preallocation=full /tmp/tcmu-runner-m.qcow2 64M || fail "qemu-img create"
at_exit "rm -f /tmp/tcmu-runner-a.qcow2 /tmp/tcmu-runner-m.qcow2 /tmp/tcmu-runner-pattern"
mkdir -p "$GUEST_RUN/tcmu-runner-log"
strace -f --seccomp-bpf -qq -e trace=openat,read,write -o "$TRACE" \
  tcmu-runner -l "$GUEST_RUN/tcmu-runner-log" > "$GUEST_OUT/$GUEST_SCENARIO-daemon.log" 2>&1 &
RUNNER=$!
at_exit "kill \$(pidof tcmu-runner) $RUNNER 2>/dev/null; sleep 1; tcmu_release_rings; cp $GUEST_RUN/tcmu-runner-log/tcmu-runner.log $GUEST_OUT/$GUEST_SCENARIO-runner.log 2>/dev/null"
sleep 3
kill -0 $RUNNER 2> /dev/null || fail "tcmu-runner exited: $(tail -3 "$GUEST_OUT/$GUEST_SCENARIO-daemon.log")"

log "ring traffic of a fresh device (first: the counts do not depend on the steps after)"
mark=$(wc -l < "$TRACE")
meter=$(lio_user runnerm 64 "qcow//tmp/tcmu-runner-m.qcow2") || exit 1
log "device enabled"
disk=$(lio_loop_disk "$meter") || exit 1
log "exported: $disk"
uio=$(grep -l "/runnerm/" /sys/class/uio/uio*/name | head -1)
before=$(tcmu_block_ios "$disk")
tcmu_workload "$disk"
ios=$(( $(tcmu_block_ios "$disk") - before ))
lio=$(tcmu_lio_cmds "$meter")
events=$(cat "${uio%/name}/event")
log "workload done"
tcmu_remove "$meter"
log "device removed"
sleep 2
tail -n +"$((mark + 1))" "$TRACE" > "$TRACE.meter"
fd=$(sed -n 's/.*openat(.*"\/dev\/uio[0-9]*".*) = \([0-9][0-9]*\)$/\1/p' "$TRACE.meter" | tail -1)
[ -n "$fd" ] || fail "tcmu-runner never opened /dev/uio* (strace: $(wc -l < "$TRACE.meter") lines)"
wakeups=$(grep -c "read($fd, .*, 4) *= 4" "$TRACE.meter")
kicks=$(grep -c "write($fd, .*, 4) *= 4" "$TRACE.meter")
metric tcmu_runner_workload_block_ios "$ios"
metric tcmu_runner_lio_cmds "$lio"
metric tcmu_runner_kernel_notifications "$events"
metric tcmu_runner_wakeups "$wakeups"
metric tcmu_runner_kicks "$kicks"
metric tcmu_runner_wakeups_per_lio_cmd "$(tcmu_ratio "$wakeups" "$lio")"
metric tcmu_runner_kicks_per_lio_cmd "$(tcmu_ratio "$kicks" "$lio")"

log "tcm_loop: a local SCSI disk"
dev=$(lio_user runnera 128 "qcow//tmp/tcmu-runner-a.qcow2") || exit 1
disk=$(lio_loop_disk "$dev") || exit 1
sg_inq "$disk" > "$GUEST_OUT/$GUEST_SCENARIO-inq.txt" || fail "sg_inq $disk"
grep -q "Unit serial number: jtarget-guest-runnera" "$GUEST_OUT/$GUEST_SCENARIO-inq.txt" || fail "unit serial"
sg_readcap "$disk" | grep -q "Device size: 134217728 bytes" || fail "READ CAPACITY"
mkfs_write_verify "$disk" 64
tcmu_unexport "$dev"

log "LIO's iSCSI fabric"
lio_iscsi_target $IQN
lio_iscsi_portal $IQN 127.0.0.1:3272
lio_iscsi_lun $IQN 0 "$dev"
lio_iscsi_demo $IQN
iscsi_login 127.0.0.1:3272 $IQN
disk=$(scsi_disk_of_session $IQN) || exit 1
sg_readcap "$disk" | grep -q "Device size: 134217728 bytes" || fail "READ CAPACITY over LIO iSCSI"
head -c 8388608 /dev/urandom > /tmp/tcmu-runner-pattern
dd if=/tmp/tcmu-runner-pattern of="$disk" bs=64k oflag=direct status=none || fail "write over LIO iSCSI"
cmp -n 8388608 /tmp/tcmu-runner-pattern "$disk" || fail "read-back over LIO iSCSI differs"
iscsi_logout 127.0.0.1:3272 $IQN
tcmu_remove "$dev"
