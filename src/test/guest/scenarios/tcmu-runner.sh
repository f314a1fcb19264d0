# The reference peer: the same LIO user backstore steps with Debian's tcmu-runner as the handler
# (its qcow handler, on a fully preallocated qcow2 image under /tmp): tcm_loop with ext4 and
# 64 MiB verified, LIO's iSCSI fabric with the kernel initiator; then a fresh device's ring traffic
# counted from outside: tcmu-runner runs under strace (seccomp-filtered to openat/read/write, so only
# those calls stop it; 4-byte reads of the uio descriptor = wake-ups, 4-byte writes = kicks), and the
# kernel's own count of notifications (/sys/class/uio/uioN/event) beside LIO's command count, to
# compare with tcmu-restart's METRIC lines.
. src/test/guest/lib-tcmu.sh
IQN=iqn.2026-12.io.jtarget.test:tcmu-runner
TRACE=$GUEST_RUN/tcmu-runner.strace
command -v tcmu-runner > /dev/null || fail "tcmu-runner is not installed (Debian package tcmu-runner)"
command -v strace > /dev/null || fail "strace is not installed (Debian package strace)"
command -v qemu-img > /dev/null || fail "qemu-img is not installed (Debian package qemu-utils)"
lio_load
qemu-img create -q -f qcow2 -o preallocation=full /tmp/tcmu-runner-a.qcow2 128M || fail "qemu-img create"
at_exit "rm -f /tmp/tcmu-runner-a.qcow2 /tmp/tcmu-runner-pattern"
mkdir -p "$GUEST_RUN/tcmu-runner-log"
strace -f --seccomp-bpf -qq -e trace=openat,read,write -o "$TRACE" \
  tcmu-runner -l "$GUEST_RUN/tcmu-runner-log" > "$GUEST_OUT/$GUEST_SCENARIO-daemon.log" 2>&1 &
RUNNER=$!
at_exit "kill \$(pidof tcmu-runner) $RUNNER 2>/dev/null; sleep 1; tcmu_release_rings; cp $GUEST_RUN/tcmu-runner-log/tcmu-runner.log $GUEST_OUT/$GUEST_SCENARIO-runner.log 2>/dev/null"
sleep 3
kill -0 $RUNNER 2> /dev/null || fail "tcmu-runner exited: $(tail -3 "$GUEST_OUT/$GUEST_SCENARIO-daemon.log")"

log "tcm_loop: a local SCSI disk"
mark=$(wc -l < "$TRACE")
dev=$(lio_user runnera 128 "qcow//tmp/tcmu-runner-a.qcow2") || exit 1
disk=$(lio_loop_disk "$dev") || exit 1
sg_inq "$disk" > "$GUEST_OUT/$GUEST_SCENARIO-inq.txt" || fail "sg_inq $disk"
grep -q "Unit serial number: jtarget-guest-runnera" "$GUEST_OUT/$GUEST_SCENARIO-inq.txt" || fail "unit serial"
sg_readcap "$disk" | grep -q "Device size: 134217728 bytes" || fail "READ CAPACITY"

log "16 MiB of 64 KiB direct I/O, counted"
uio=$(grep -l "/runnera/" /sys/class/uio/uio*/name | head -1)
lio_before=$(tcmu_lio_cmds "$dev")
events_before=$(cat "${uio%/name}/event")
before=$(tcmu_block_ios "$disk")
tcmu_workload "$disk"
metric tcmu_runner_workload_block_ios "$(( $(tcmu_block_ios "$disk") - before ))"
metric tcmu_runner_workload_lio_cmds "$(( $(tcmu_lio_cmds "$dev") - lio_before ))"
metric tcmu_runner_workload_kernel_notifications "$(( $(cat "${uio%/name}/event") - events_before ))"
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
lio=$(tcmu_lio_cmds "$dev")
tcmu_remove "$dev"
sleep 2

# The device's life in tcmu-runner: its uio descriptor, then the 4-byte reads (one per wake-up)
# and writes (kicks) on it.
tail -n +"$((mark + 1))" "$TRACE" > "$TRACE.dev"
fd=$(sed -n 's/.*openat(.*"\/dev\/uio[0-9]*".*) = \([0-9][0-9]*\)$/\1/p' "$TRACE.dev" | head -1)
[ -n "$fd" ] || fail "tcmu-runner never opened /dev/uio* (strace: $(wc -l < "$TRACE.dev") lines)"
wakeups=$(grep -c "read($fd, .*, 4) *= 4" "$TRACE.dev")
kicks=$(grep -c "write($fd, .*, 4) *= 4" "$TRACE.dev")
metric tcmu_runner_lio_cmds "$lio"
metric tcmu_runner_wakeups "$wakeups"
metric tcmu_runner_kicks "$kicks"
metric tcmu_runner_wakeups_per_lio_cmd "$(tcmu_ratio "$wakeups" "$lio")"
metric tcmu_runner_kicks_per_lio_cmd "$(tcmu_ratio "$kicks" "$lio")"
