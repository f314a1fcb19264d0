# Two initiator ports of the same HCA port (ib_srp's initiator_ext) logged in to jtarget's SRP
# target port at once, each an I_T nexus with its own channels: each reads what the other wrote;
# one is deleted in the middle of direct I/O and the other keeps being served; then jtarget shuts
# down with the other's channels live: it disconnects them and waits until each is released.
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

# shutdown with port 1's channels live: each is disconnected, drained and released once
jtarget_stop
grep -q "SRP target port: $channels channels released" "$log" \
  || fail "not every channel was released exactly once: $(grep 'channels released' "$log")"
srp_metrics "$log" srp_channels || fail "jtarget logged no SRP totals"
exit 0
