# Several initiators on one jtarget iSER portal at once: two kernel iSER sessions writing and
# reading concurrently (each sees what the other wrote), libiscsi's iser:// client (iscsi-inq,
# iscsi-readcapacity16) beside them, and a libiscsi client killed mid-I/O, after which the kernel
# sessions are still served.
. src/test/guest/lib.sh
. src/test/guest/lib-iser.sh
iser_require_rdma

IQN=iqn.2026-11.io.jtarget:iser-sessions

jtarget_start --listen $ISER_IP:3260 --iser $ISER_IP:3260 --target $IQN --lun ram:64M --lun ram:64M
URL=iser://$ISER_IP:3260/$IQN
out=$GUEST_RUN

# two kernel sessions to the same target
iscsi_discover $ISER_IP:3260 iser >/dev/null
iscsiadm -m node -T $IQN -p $ISER_IP:3260 -I iser -o update -n node.session.nr_sessions -v 2 || fail "nr_sessions"
iscsi_login $ISER_IP:3260 $IQN iser
for i in $(seq 1 100); do [ "$(iser_sessions)" -ge 2 ] && break; sleep 0.2; done
[ "$(iser_sessions)" -eq 2 ] || fail "expected 2 iSER sessions, have $(iser_sessions)"

# each session's disk for LUN 0 and LUN 1 (H:C:T:L ends in the LUN)
disk() { # SESSION_INDEX LUN
  s=$(ls -d /sys/class/iscsi_session/session* | sed -n "${1}p")
  for i in $(seq 1 100); do
    for d in "$s"/device/target*/*:"$2"/block/*; do [ -e "$d" ] && { echo "/dev/${d##*/}"; return 0; }; done
    sleep 0.2
  done
  return 1
}
a0=$(disk 1 0) && b1=$(disk 2 1) && a1=$(disk 1 1) && b0=$(disk 2 0) || fail "the sessions' disks did not appear"

head -c 16777216 /dev/urandom > $out/a.bin
head -c 16777216 /dev/urandom > $out/b.bin
dd if=$out/a.bin of="$a0" bs=1M oflag=direct status=none & wa=$!
dd if=$out/b.bin of="$b1" bs=1M oflag=direct status=none & wb=$!
wait $wa || fail "write through session 1 failed"
wait $wb || fail "write through session 2 failed"
verify() { # DEV FILE WHAT
  [ "$(dd if="$1" bs=1M count=16 iflag=direct status=none | md5sum)" = "$(md5sum < "$2")" ] || fail "$3"
}
verify "$b0" $out/a.bin "session 2 does not read what session 1 wrote"
verify "$a1" $out/b.bin "session 1 does not read what session 2 wrote"

# libiscsi over iSER, while the kernel sessions stay logged in
iscsi-inq "$URL/0" > $out/inq.out 2>&1 || fail "iscsi-inq over iSER failed: $(tail -2 $out/inq.out | tr '\n' ' ')"
grep -q "DIRECT_ACCESS" $out/inq.out || fail "iscsi-inq over iSER: no direct-access device in $(head -3 $out/inq.out | tr '\n' ' ')"
iscsi-readcapacity16 "$URL/1" > $out/rc16.out 2>&1 || fail "iscsi-readcapacity16 over iSER failed: $(tail -2 $out/rc16.out | tr '\n' ' ')"
grep -q "Total size:67108864" $out/rc16.out || fail "iscsi-readcapacity16 over iSER: wrong capacity: $(tr '\n' ' ' < $out/rc16.out)"

# a libiscsi initiator killed mid-I/O
iscsi-perf -t 60 -m 16 "$URL/1" > $out/perf.out 2>&1 & PERF_PID=$!
at_exit "kill -9 $PERF_PID 2>/dev/null"
sleep 5
kill -0 $PERF_PID 2>/dev/null || fail "iscsi-perf over iSER ended early: $(tail -3 $out/perf.out | tr '\n' ' ')"
kill -9 $PERF_PID; wait $PERF_PID 2>/dev/null
sleep 2
verify "$a0" $out/a.bin "session 1 lost its data after another initiator was killed"
verify "$b1" $out/b.bin "session 2 lost its data after another initiator was killed"
iscsi-inq "$URL/0" >/dev/null 2>&1 || fail "a new iSER client is refused after one was killed"

iscsiadm -m node -T $IQN -p $ISER_IP:3260 -I iser --logout >/dev/null || fail "logout of the two sessions failed"
[ "$(iser_sessions)" -eq 0 ] || fail "logout left an iSER session"
log="$GUEST_OUT/$GUEST_SCENARIO-jtarget.log"
jtarget_stop
grep -q "iSER connection .* closing" "$log" || fail "jtarget never saw the killed client's connection close"
iser_metrics "$log" iser_sessions || fail "jtarget logged no iSER totals"
exit 0
