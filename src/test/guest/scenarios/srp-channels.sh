# Two initiator ports of the same HCA port (ib_srp's initiator_ext) logged in to jtarget's SRP
# target port at once, each an I_T nexus with its own channels: each reads what the other wrote;
# one is deleted in the middle of direct I/O and the other keeps being served. Then the initiator's
# module is removed (rmmod ib_srp) while the kernel's iSCSI initiator writes to the same LUN: the
# SRP channels drain and are released, the iSCSI session never notices; ib_srp comes back, logs in
# again and reads what iSCSI wrote. Last, jtarget shuts down with SRP channels live: each gets
# SRP_T_LOGOUT, is disconnected, and released once.
. src/test/guest/lib.sh
. src/test/guest/lib-srp.sh
srp_require_rdma
iqn=iqn.2026-11.io.jtarget:srp-channels
port=5556
log="$GUEST_OUT/$GUEST_SCENARIO-jtarget.log"

jtarget_start --listen 127.0.0.1:3261 --srp "$SRP_IP:$port" --target "$iqn" --lun ram:64M
srp_login "$port"
a=$(srp_disk) || exit 1
srp_login "$port" 1
b=$(srp_disk "$a") || exit 1
log "initiator port 0 sees $a, initiator port 1 sees $b"
[ "$(grep -c 'SRP login of 0x0000000000000001' "$log")" -ge 1 ] || fail "no login of the second initiator port"
channels=$(grep -c "SRP login of 0x.* accepted" "$log")
metric srp_channels_logged_in "$channels"

data=$(random_data 16) || exit 1
dd if="$data" of="$a" bs=1M oflag=direct status=none || fail "write through initiator port 0 failed"
[ "$(dd if="$b" bs=1M count=16 iflag=direct status=none | md5sum)" = "$(md5sum < "$data")" ] \
  || fail "initiator port 1 does not read what initiator port 0 wrote"

# port 0 goes away mid-I/O; port 1 is still served
dd if=/dev/zero of="$a" bs=1M count=48 seek=16 oflag=direct status=none 2>/dev/null & DD_PID=$!
at_exit "kill $DD_PID 2>/dev/null"
sleep 2
srp_delete_port_of "$a"
wait $DD_PID 2>/dev/null
retry 60 sh -c "grep -q 'SRP I_T nexus 0x0000000000000000.* ended' '$log'" || fail "initiator port 0's nexus did not end"
[ "$(dd if="$b" bs=1M count=16 iflag=direct status=none | md5sum)" = "$(md5sum < "$data")" ] \
  || fail "initiator port 1 lost its data when port 0 went away"
dd if="$data" of="$b" bs=1M seek=32 oflag=direct status=none || fail "initiator port 1 is no longer served"

# ib_srp removed while iSCSI writes to the same LUN (the module cannot go while a disk it serves is
# open, so port 1's disk is idle; mid-I/O removal of a port is the deletion above)
iscsi_login 127.0.0.1:3261 "$iqn"
c=$(scsi_disk_of_session "$iqn") || exit 1
( for pass in 1 2 3 4; do dd if="$data" of="$c" bs=1M seek=48 oflag=direct status=none || exit 1; done ) & ISCSI_PID=$!
at_exit "kill $ISCSI_PID 2>/dev/null"
released_before=$(grep -c 'SRP channel .* released' "$log")
rmmod ib_srp || fail "rmmod ib_srp failed: $(lsmod | grep ib_srp)"
retry 60 sh -c "grep -q 'SRP I_T nexus 0x0000000000000001.* ended' '$log'" || fail "initiator port 1's nexus did not end"
retry 60 sh -c "[ \$(grep -c 'SRP channel .* released' '$log') -gt $released_before ]" || fail "no channel was released"
wait $ISCSI_PID || fail "iSCSI writes to the same LUN failed while ib_srp went away"
[ "$(dd if="$c" bs=1M skip=48 count=16 iflag=direct status=none | md5sum)" = "$(md5sum < "$data")" ] \
  || fail "the iSCSI session does not read back what it wrote"
metric srp_channels_released_by_module_removal "$(( $(grep -c 'SRP channel .* released' "$log") - released_before ))"
srp_require_rdma
srp_login "$port" 2
d=$(srp_disk) || exit 1
[ "$(dd if="$d" bs=1M skip=48 count=16 iflag=direct status=none | md5sum)" = "$(md5sum < "$data")" ] \
  || fail "SRP after ib_srp came back does not read what iSCSI wrote"
iscsi_logout 127.0.0.1:3261 "$iqn"

# shutdown with SRP channels live: each gets SRP_T_LOGOUT, then is disconnected, drained, released once
channels=$(grep -c "SRP login of 0x.* accepted" "$log")
live=$(grep -c "SRP login of 0x0000000000000002.* accepted" "$log")
logouts=$(dmesg | grep -c "Got target logout request")
jtarget_stop
[ $(( $(dmesg | grep -c "Got target logout request") - logouts )) -ge "$live" ] \
  || fail "ib_srp got no SRP_T_LOGOUT for each of the $live live channels at shutdown"
grep -q "SRP target port: $channels channels released ($live after SRP_T_LOGOUT)" "$log" \
  || fail "not every live channel was logged out at shutdown: $(grep 'channels released' "$log")"
grep -q "SRP target port: $channels channels released" "$log" \
  || fail "not every channel was released exactly once: $(grep 'channels released' "$log")"
srp_metrics "$log" srp_channels || fail "jtarget logged no SRP totals"
exit 0
