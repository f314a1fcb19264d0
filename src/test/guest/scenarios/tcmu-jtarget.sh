# jtarget as LIO's user backstore handler (TCMU), beside iSCSI in one process (`serve --tcmu`): a
# device that exists before it starts is found (with a store flag after a semicolon: ;wt); a device
# added while it runs is served before LIO's enable returns; both exported through LIO's loopback
# fabric (a local SCSI disk) and LIO's iSCSI fabric (kernel initiator) carry ext4 with 64 MiB
# written and verified, counted in serve's /metrics; a file-backed device grows live (the file and READ CAPACITY follow LIO's
# dev_size); a RAM device's size change is refused and an equal one accepted; a removed device is
# drained and closed.
. src/test/guest/lib-tcmu.sh
JLOG=$GUEST_OUT/$GUEST_SCENARIO-jtarget.log
IQN=iqn.2026-12.io.jtarget.test:tcmu
at_exit "rm -f /tmp/tcmu-pre.img"
at_exit tcmu_release_rings
lio_load

log "a user backstore before the handler runs (no netlink reply wanted: nl_reply_supported=-1)"
pre=$(lio_user pre 128 "jtarget/file:/tmp/tcmu-pre.img;wt,nl_reply_supported=-1") || exit 1
jtarget_start --tcmu --listen 127.0.0.1:3270 --lun ram:16M --metrics 127.0.0.1:9570
grep -q "serving uio.*/pre: jtarget/file" "$JLOG" || fail "the existing device is not served"
grep -q "serving uio.*/pre: .* from file:/tmp/tcmu-pre.img (write-through)" "$JLOG" \
  || fail "the ;wt flag of dev_config was not applied: $(grep 'serving uio' "$JLOG" | head -1)"
[ "$(stat -c %s /tmp/tcmu-pre.img)" = 134217728 ] || fail "the backing file was not created at LIO's dev_size"

log "tcm_loop: a local SCSI disk"
disk=$(lio_loop_disk "$pre") || exit 1
sg_inq "$disk" > "$GUEST_OUT/$GUEST_SCENARIO-inq.txt" || fail "sg_inq $disk"
grep -q "Vendor identification: JTARGET" "$GUEST_OUT/$GUEST_SCENARIO-inq.txt" || fail "INQUIRY not answered by jtarget"
grep -q "Unit serial number: jtarget-guest-pre" "$GUEST_OUT/$GUEST_SCENARIO-inq.txt" || fail "unit serial is not LIO's"
sg_readcap "$disk" | grep -q "Device size: 134217728 bytes" || fail "READ CAPACITY: $(sg_readcap "$disk" 2>&1 | tail -2)"
uio=$(grep -l "/pre/" /sys/class/uio/uio*/name | head -1)
lio_before=$(tcmu_lio_cmds "$pre")
events_before=$(cat "${uio%/name}/event")
log "16 MiB of 64 KiB direct I/O, counted"
before=$(tcmu_block_ios "$disk")
tcmu_workload "$disk"
metric tcmu_jtarget_workload_block_ios "$(( $(tcmu_block_ios "$disk") - before ))"
metric tcmu_jtarget_workload_lio_cmds "$(( $(tcmu_lio_cmds "$pre") - lio_before ))"
metric tcmu_jtarget_workload_kernel_notifications "$(( $(cat "${uio%/name}/event") - events_before ))"
mkfs_write_verify "$disk" 64
# the device's counters are in serve's /metrics, named as LIO names the backstore
printf 'GET /metrics HTTP/1.0\r\n\r\n' | socat -t 10 - TCP:127.0.0.1:9570 > "$GUEST_RUN/metrics" \
  || fail "no answer from /metrics"
grep '^jtarget_lun_written_bytes_total{.*target="tcmu/user_[0-9]*/pre"' "$GUEST_RUN/metrics" \
  | awk '{ if ($2 + 0 >= 64 * 1048576) ok = 1 } END { exit !ok }' \
  || fail "/metrics does not count the 64 MiB written to the TCMU device: $(grep 'tcmu/' "$GUEST_RUN/metrics" | head -3)"

log "a live resize: LIO's dev_size grows the backing file and READ CAPACITY follows"
echo 268435456 > "$pre/attrib/dev_size" || fail "growing dev_size to 256 MiB was refused"
# With nl_reply_supported=-1 the kernel sends the reconfiguration event without waiting for the
# handler's reply (target_core_user's tcmu_wait_genl_cmd_reply): jtarget resizes a moment later.
retry 10 grep -q "/pre: .*: resized to 268435456 bytes" "$JLOG" || fail "jtarget did not resize the device within 10 s"
[ "$(stat -c %s /tmp/tcmu-pre.img)" = 268435456 ] || fail "the backing file did not grow to 256 MiB"
sg_turs "$disk" > /dev/null 2>&1 || true # takes the CAPACITY DATA HAS CHANGED unit attention
sg_readcap "$disk" | grep -q "Device size: 268435456 bytes" || fail "READ CAPACITY after the resize: $(sg_readcap "$disk" 2>&1 | tail -2)"

log "a user backstore added while the handler runs, through LIO's iSCSI fabric"
net=$(lio_user net 96 "jtarget/ram:96M") || exit 1
grep -q "serving uio.*/net: jtarget/ram" "$JLOG" || fail "the added device was not served before enable returned"
lio_iscsi_target $IQN
lio_iscsi_portal $IQN 127.0.0.1:3271
lio_iscsi_lun $IQN 0 "$net"
lio_iscsi_demo $IQN
iscsi_login 127.0.0.1:3271 $IQN
disk2=$(scsi_disk_of_session $IQN) || exit 1
sg_readcap "$disk2" | grep -q "Device size: 100663296 bytes" || fail "READ CAPACITY over LIO iSCSI"
mkfs_write_verify "$disk2" 64
iscsi_logout 127.0.0.1:3271 $IQN

log "reconfiguration: an equal size accepted, another refused"
echo 100663296 > "$net/attrib/dev_size" || fail "a dev_size equal to the store's was refused"
if echo 209715200 > "$net/attrib/dev_size" 2>/dev/null; then fail "a dev_size change was accepted"; fi
[ "$(cat "$net/attrib/dev_size")" = 100663296 ] || fail "LIO took a dev_size jtarget refused"

log "removal while the handler runs"
tcmu_remove "$net"
tcmu_closed net
metric tcmu_devices_served "$(grep -c 'serving uio' "$JLOG")"
jtarget_stop
tcmu_closed pre
entries=$(tcmu_stat pre commands)
metric tcmu_jtarget_ring_entries "$entries"
metric tcmu_jtarget_wakeups_per_entry "$(tcmu_ratio "$(tcmu_stat pre wakeups)" "$entries")"
metric tcmu_jtarget_kicks_per_entry "$(tcmu_ratio "$(tcmu_stat pre kicks)" "$entries")"
metric tcmu_jtarget_copied_reads "$(tcmu_stat pre copied_reads)"
