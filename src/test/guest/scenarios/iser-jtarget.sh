# jtarget on its iSER portal and the Linux kernel initiator as users run it: SendTargets over
# iSER, iscsiadm ... -I iser --login, mkfs.ext4 on the LUN, 64 MiB written, remounted and
# verified, logout. Reports the RDMA layer's verbs calls, completions and wake-ups per command.
. src/test/guest/lib.sh
. src/test/guest/lib-iser.sh
iser_require_rdma
iqn=iqn.2026-11.io.jtarget:iser
portal=$ISER_IP:3260
sent=$(rxe_counter sent_pkts)

jtarget_start --listen "$portal" --iser "$portal" --target "$iqn" --lun ram:256M
iscsi_disk_roundtrip "$portal" "$iqn" 64 iser
metric jtarget_rxe_packets_sent $(( $(rxe_counter sent_pkts) - sent ))
jtarget_stop
iser_metrics "$GUEST_OUT/$GUEST_SCENARIO-jtarget.log" iser || fail "jtarget logged no iSER totals"
exit 0
