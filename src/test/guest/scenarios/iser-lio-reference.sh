# The reference for iser-jtarget.sh: the same kernel iSER initiator steps (SendTargets over iSER,
# login with -I iser, mkfs.ext4, 64 MiB written and read back after a remount, logout) against
# LIO with ib_isert in the same guest. When iser-jtarget fails and this passes, the fault is
# jtarget's; when both fail, the guest's.
. src/test/guest/lib.sh
. src/test/guest/lib-iser.sh
iser_require_rdma
iqn=iqn.2026-11.io.jtarget.test:lio-isert
portal=$ISER_IP:3260
img=$GUEST_RUN/iser-lio.img
at_exit "rm -f '$img'"

backstore=$(lio_fileio iser_ref "$img" 256) || exit 1
lio_iscsi_target "$iqn"
lio_iscsi_lun "$iqn" 0 "$backstore"
lio_iscsi_portal "$iqn" "$portal"
lio_iscsi_iser "$iqn" "$portal"
lio_iscsi_demo "$iqn"
sent=$(rxe_counter sent_pkts)
iscsi_disk_roundtrip "$portal" "$iqn" 64 iser
metric lio_isert_rxe_packets_sent $(( $(rxe_counter sent_pkts) - sent ))
lio_reset
[ -z "$(lio_objects)" ] || fail "lio_reset left: $(lio_objects | tr '\n' ' ')"
exit 0
