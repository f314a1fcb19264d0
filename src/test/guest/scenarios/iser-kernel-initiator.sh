# jtarget on its iSER portal, the Linux kernel initiator as users run it: SendTargets over iSER,
# iscsiadm -I iser --login, ext4 on the LUN, 64 MiB written, remounted and verified, logout.
. src/test/guest/lib-iser.sh
iser_require_rdma

IQN=iqn.2026-11.io.jtarget:iser
cleanup() {
  iscsi_logout_all
  jtarget_stop
}
trap cleanup EXIT

jtarget_start --listen $ISER_IP:3260 --iser $ISER_IP:3260 --target $IQN --lun ram:256M
iser_discover $ISER_IP:3260 | grep -q "$IQN" || fail "SendTargets over iSER does not list $IQN"
iser_login $ISER_IP:3260 $IQN || fail "kernel iSER login to jtarget failed: $(iser_dmesg_tail | tail -3 | tr '\n' ' ')"
[ "$(iser_sessions)" -ge 1 ] || fail "the session does not run over iSER"
dev=$(disk_of_target $IQN) || fail "no disk appeared for the jtarget iSER session"
mkfs_write_verify "$dev" 64
iscsi_logout_all
[ "$(iser_sessions)" -eq 0 ] || fail "logout left an iSER session"
log="$GUEST_OUT/iser-kernel-initiator-jtarget.log"
jtarget_stop
iser_metrics "$log" iser_kernel || fail "jtarget logged no iSER totals"
echo "jtarget iSER: discovery, login, ext4 64 MiB write/remount/verify, logout passed"
