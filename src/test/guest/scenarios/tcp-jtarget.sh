# jtarget serving a file LUN on a TCP portal, used by the Linux kernel's iSCSI initiator (open-iscsi)
# as a user would: discovery, login, mkfs.ext4, 64 MiB written and read back after a remount,
# logout, jtarget stopped with SIGTERM. tcp-lio-reference.sh does the same against LIO.
. src/test/guest/lib.sh
iqn=iqn.2026-11.io.jtarget.test:tcp
portal=127.0.0.1:3260
img=$GUEST_RUN/tcp-jtarget.img
at_exit "rm -f '$img'"

jtarget_start --listen "$portal" --target "$iqn" --lun "file:$img:256M" --state-dir "$GUEST_RUN/state"
iscsi_disk_roundtrip "$portal" "$iqn" 64
jtarget_stop
grep -q 'WARN\|ERROR' "$GUEST_OUT/$GUEST_SCENARIO-jtarget.log" && {
  grep 'WARN\|ERROR' "$GUEST_OUT/$GUEST_SCENARIO-jtarget.log" | head -5
  fail "jtarget logged warnings or errors (see $GUEST_SCENARIO-jtarget.log)"
}
exit 0
