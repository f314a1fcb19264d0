# jtarget as LIO's user backstore handler (TCMU): exported through LIO's loopback fabric (a local
# SCSI disk) and LIO's iSCSI fabric (kernel initiator); devices found at start, added, reconfigured
# and removed while it runs; LUN resets with commands queued; the handler killed with commands in
# flight and restarted. Prints the ring traffic per command (METRIC lines).
. src/test/guest/lib-tcmu.sh
LOG=$GUEST_OUT/tcmu-jtarget-handler.log
IQN=iqn.2026-12.io.jtarget.test:tcmu-jtarget
cleanup() {
  tcmu_iscsi_logout $IQN
  tcmu_jtarget_stop
  tcmu_lio_cleanup
  rm -f /tmp/tcmu-pre.img /tmp/tcmu-pattern
}
trap cleanup EXIT
: > "$LOG"
tcmu_lio_init
modprobe tcm_loop 2>/dev/null

# 1. A device that exists before the handler starts is found by the scan of /sys/class/uio. Its
# file does not exist: jtarget creates it at LIO's dev_size. cmd_time_out is raised (possible only
# before the device is exported) so commands outlive a handler restart and are retried, not timed out.
tcmu_backstore pre jtarget/file:/tmp/tcmu-pre.img 134217728 5001405f00000001 nl_reply_supported=-1 \
  || fail "enabling a user backstore without a handler failed"
echo 240 > $TCMU_HBA/pre/attrib/cmd_time_out || fail "cmd_time_out"
echo 1 > $TCMU_HBA/pre/attrib/tmr_notification || fail "tmr_notification"
tcmu_jtarget_start tcmu-jtarget-handler serve --tcmu --listen 127.0.0.1:3270 --lun ram:16M
grep -q "serving uio.*user_7/pre" "$LOG" || fail "the existing device was not served: $(tail -3 "$LOG")"
[ "$(stat -c %s /tmp/tcmu-pre.img)" = 134217728 ] || fail "backing file not created at dev_size"

tcmu_loop_export pre 0
dev=$(tcmu_wait_disk 5001405f00000001) || fail "no local disk from tcm_loop"
sg_inq "$dev" > "$GUEST_OUT/tcmu-jtarget-inq.txt" || fail "sg_inq $dev"
grep -q "Vendor identification: JTARGET" "$GUEST_OUT/tcmu-jtarget-inq.txt" || fail "INQUIRY not answered by jtarget"
grep -q "Unit serial number: 5001405f00000001" "$GUEST_OUT/tcmu-jtarget-inq.txt" || fail "unit serial is not LIO's"
sg_readcap "$dev" | grep -q "Device size: 134217728 bytes" || fail "READ CAPACITY: $(sg_readcap "$dev" | tail -2)"
mkfs_write_verify "$dev" 64 || fail "mkfs/write/verify over tcm_loop"

# 2. A device added while the handler runs (ADDED_DEVICE, answered before enable returns), served
# through LIO's iSCSI fabric to the kernel initiator.
tcmu_backstore net jtarget/ram:96M 100663296 5001405f00000002 || fail "enable waited for jtarget and failed"
grep -q "serving uio.*user_7/net" "$LOG" || fail "the added device is not served"
tcmu_iscsi_export net $IQN 3271
tcmu_iscsi_login 127.0.0.1:3271 $IQN
dev2=$(tcmu_wait_disk 5001405f00000002) || fail "no disk from the LIO iSCSI session"
sg_readcap "$dev2" | grep -q "Device size: 100663296 bytes" || fail "READ CAPACITY over iSCSI"
mkfs_write_verify "$dev2" 64 || fail "mkfs/write/verify over LIO iSCSI"
tcmu_iscsi_logout $IQN

# 3. Reconfiguration (RECONFIG_DEVICE): the same size is accepted, a size the store does not have is
# refused and LIO keeps its value.
echo 100663296 > $TCMU_HBA/net/attrib/dev_size || fail "dev_size equal to the store's refused"
if echo 209715200 > $TCMU_HBA/net/attrib/dev_size 2>/dev/null; then fail "dev_size change accepted"; fi
[ "$(cat $TCMU_HBA/net/attrib/dev_size)" = 100663296 ] || fail "LIO changed dev_size after a refusal"

# 4. Removed while the handler runs (REMOVED_DEVICE): jtarget drains and closes it.
tcmu_iscsi_unexport $IQN
tcmu_backstore_remove net
i=0; until grep -q "user_7/net.* closed:" "$LOG"; do [ $i -lt 60 ] || fail "removed device not closed"; sleep 1; i=$((i+1)); done

# 5. LIO resets the device while commands are queued (LUN RESET through tcm_loop, TMR notified).
tcmu_workload "$dev" & wl=$!
sleep 1
sg_reset -d "$dev" >/dev/null 2>&1 || fail "sg_reset -d"
wait $wl
sg_turs "$dev" >/dev/null 2>&1 || sg_turs "$dev" >/dev/null 2>&1 || fail "device unusable after LUN reset"
dd if="$dev" of=/dev/null bs=64k count=16 iflag=direct status=none || fail "read after LUN reset"

# 6. The handler killed (SIGKILL) with writes in flight, then started again (`jtarget tcmu`): the
# commands it had taken are failed with BUSY through the ring reset and retried by the initiator.
dd if=/dev/urandom of=/tmp/tcmu-pattern bs=1M count=16 status=none
echo 600 > /sys/block/${dev#/dev/}/device/timeout # the initiator waits for the restart instead of aborting
dd if=/tmp/tcmu-pattern of="$dev" bs=64k oflag=direct status=none & writer=$!
sleep 2
kill -KILL $TCMU_JTARGET_PID; TCMU_JTARGET_PID=
tcmu_jtarget_start tcmu-jtarget-handler tcmu
wait $writer; wrc=$?
if [ $wrc -eq 0 ]; then
  cmp -n 16777216 /tmp/tcmu-pattern "$dev" || fail "writes acknowledged across the restart are not on the disk"
  echo "METRIC tcmu_restart_writes=resumed"
else
  echo "METRIC tcmu_restart_writes=failed_reported"
fi
grep -q "unfinished commands" "$LOG" && echo "METRIC tcmu_restart_ring_reset=1"

# 7. Ring traffic of a fresh device over its whole life (scan, 4 parallel streams of 64 KiB I/O).
tcmu_backstore meter jtarget/ram:64M 67108864 5001405f00000003 || fail "meter device"
tcmu_loop_export meter 1
dev3=$(tcmu_wait_disk 5001405f00000003) || fail "no meter disk"
before=$(tcmu_block_ios "$dev3")
tcmu_workload "$dev3"
ios=$(( $(tcmu_block_ios "$dev3") - before ))
lio=$(tcmu_lio_cmds meter)
tcmu_loop_unexport 1
tcmu_backstore_remove meter
i=0; until grep -q "user_7/meter.* closed:" "$LOG"; do [ $i -lt 60 ] || fail "meter not closed"; sleep 1; i=$((i+1)); done
cmds=$(tcmu_jtarget_stat "$LOG" meter commands)
wk=$(tcmu_jtarget_stat "$LOG" meter wakeups)
kk=$(tcmu_jtarget_stat "$LOG" meter kicks)
[ "$cmds" -gt 0 ] || fail "no commands counted"
echo "METRIC tcmu_jtarget_workload_block_ios=$ios"
echo "METRIC tcmu_jtarget_lio_cmds=$lio"
echo "METRIC tcmu_jtarget_ring_entries=$cmds"
echo "METRIC tcmu_jtarget_wakeups=$wk"
echo "METRIC tcmu_jtarget_kicks=$kk"
echo "METRIC tcmu_jtarget_wakeups_per_entry=$(tcmu_ratio "$wk" "$cmds")"
echo "METRIC tcmu_jtarget_wakeups_per_lio_cmd=$(tcmu_ratio "$wk" "$lio")"
echo "METRIC tcmu_jtarget_kicks_per_lio_cmd=$(tcmu_ratio "$kk" "$lio")"
echo "METRIC tcmu_jtarget_kicks_per_entry=$(tcmu_ratio "$kk" "$cmds")"
echo "METRIC tcmu_jtarget_zero_copy_reads=$(tcmu_jtarget_stat "$LOG" meter zero_copy_reads)"
exit 0
