# jtarget as the TCMU handler (`jtarget tcmu`) under trouble: LIO resets the device (LUN RESET
# from the initiator, TMR notification) while commands are queued; the handler is killed (SIGKILL)
# with writes in flight and started again: the commands it had taken are failed with BUSY through
# the ring reset and retried by the initiator, never lost. The restarted handler's ring traffic
# for the device is printed as METRIC lines.
. src/test/guest/lib-tcmu.sh
JLOG=$GUEST_OUT/$GUEST_SCENARIO-jtarget.log
at_exit "rm -f /tmp/tcmu-restart.img /tmp/tcmu-pattern"
at_exit tcmu_release_rings
lio_load

tcmu_jtarget_handler
dev=$(lio_user restart 64 "jtarget/file:/tmp/tcmu-restart.img") || exit 1
# Commands must outlive a handler restart (180 s) and LIO tells the handler of aborts. Both only
# before the device is exported.
echo 180 > "$dev/attrib/cmd_time_out" || fail "cmd_time_out"
echo 1 > "$dev/attrib/tmr_notification" || fail "tmr_notification"
disk=$(lio_loop_disk "$dev") || exit 1
echo 600 > "/sys/block/${disk#/dev/}/device/timeout"

log "LUN reset with commands queued"
tcmu_workload "$disk" & wl=$!
sleep 1
sg_reset -d "$disk" > /dev/null 2>&1 || fail "sg_reset -d $disk"
wait $wl
retry 30 sg_turs "$disk" > /dev/null 2>&1 || fail "the disk does not answer after the LUN reset"
dd if="$disk" of=/dev/null bs=64k count=16 iflag=direct status=none || fail "read after the LUN reset failed"

log "SIGKILL with writes in flight, then a new handler"
head -c 16777216 /dev/urandom > /tmp/tcmu-pattern
dd if=/tmp/tcmu-pattern of="$disk" bs=64k oflag=direct status=none & writer=$!
sleep 2
kill -KILL "$JTARGET_PID"
rm -f "$GUEST_RUN/jtarget.$JTARGET_PID.pid"
tcmu_jtarget_handler
wait $writer
wrc=$?
if [ $wrc -eq 0 ]; then
  cmp -n 16777216 /tmp/tcmu-pattern "$disk" || fail "writes acknowledged across the restart are not on the disk"
  metric tcmu_restart_writes resumed
else
  metric tcmu_restart_writes failed_and_reported
fi
grep -q "unfinished commands" "$JLOG" && metric tcmu_restart_ring_reset 1
tcmu_remove "$dev"
tcmu_closed restart

# The restarted handler's life of the device: the retried writes and the read-back.
entries=$(tcmu_stat restart commands)
[ "${entries:-0}" -gt 0 ] || fail "jtarget counted no ring entries"
metric tcmu_jtarget_ring_entries "$entries"
metric tcmu_jtarget_wakeups "$(tcmu_stat restart wakeups)"
metric tcmu_jtarget_kicks "$(tcmu_stat restart kicks)"
metric tcmu_jtarget_wakeups_per_entry "$(tcmu_ratio "$(tcmu_stat restart wakeups)" "$entries")"
metric tcmu_jtarget_kicks_per_entry "$(tcmu_ratio "$(tcmu_stat restart kicks)" "$entries")"
metric tcmu_jtarget_tmr_notifications "$(grep -c 'LIO task management' "$JLOG")"
jtarget_stop
