# The reference for tcp-jtarget.sh: the same user steps (discovery, login, mkfs.ext4, 64 MiB written
# and read back after a remount, logout) against LIO, the Linux kernel's own iSCSI target, with a
# fileio backstore. Both must behave the same; when tcp-jtarget fails and this passes, the fault is
# jtarget's, when both fail it is the guest's.
. src/test/guest/lib.sh
iqn=iqn.2026-11.io.jtarget.test:lio-tcp
portal=127.0.0.1:3260
img=$GUEST_RUN/tcp-lio.img
at_exit "rm -f '$img'"

backstore=$(lio_fileio tcp_ref "$img" 256) || exit 1
lio_iscsi_target "$iqn"
lio_iscsi_lun "$iqn" 0 "$backstore"
lio_iscsi_portal "$iqn" "$portal"
lio_iscsi_demo "$iqn"
iscsi_disk_roundtrip "$portal" "$iqn" 64
lio_reset
[ -z "$(lio_objects)" ] || fail "lio_reset left: $(lio_objects | tr '\n' ' ')"
exit 0
