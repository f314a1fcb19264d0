# Reference: the same kernel iSER initiator steps against Linux's own target (LIO with ib_isert),
# in the same guest, so a difference from the jtarget scenarios is jtarget's and not the guest's.
. src/test/guest/lib-iser.sh
iser_require_rdma

IQN=iqn.2026-11.org.jtarget.test:lio-isert
D=/sys/kernel/config/target
IMG=/tmp/lio-isert-lun0.img

cleanup() {
  iscsi_logout_all
  lio_reset
  rm -f "$IMG"
}
trap cleanup EXIT

lio_reset
modprobe ib_isert 2>/dev/null
mkdir -p /tmp/target/pr
[ -e $D/dbroot ] && echo /tmp/target > $D/dbroot 2>/dev/null
truncate -s 256M "$IMG"
mkdir -p $D/core/fileio_0/lun0 || fail "LIO configfs not available"
echo "fd_dev_name=$IMG,fd_dev_size=268435456" > $D/core/fileio_0/lun0/control
echo lio-isert-0 > $D/core/fileio_0/lun0/wwn/vpd_unit_serial
echo 1 > $D/core/fileio_0/lun0/enable || fail "LIO fileio device did not enable"
T=$D/iscsi/$IQN/tpgt_1
mkdir -p $T/lun/lun_0 || fail "LIO iSCSI target not created"
ln -s $D/core/fileio_0/lun0 $T/lun/lun_0/lun0
mkdir $T/np/$ISER_IP:3260 || fail "LIO portal not created"
echo 1 > $T/np/$ISER_IP:3260/iser || fail "LIO portal refuses iSER (ib_isert)"
echo 1 > $T/attrib/generate_node_acls
echo 1 > $T/attrib/cache_dynamic_acls
echo 0 > $T/attrib/demo_mode_write_protect
echo 0 > $T/attrib/authentication
echo 1 > $T/enable

sent0=$(rxe_counter sent_pkts); rcvd0=$(rxe_counter rcvd_pkts)
iser_discover $ISER_IP:3260 | grep -q "$IQN" || fail "LIO's SendTargets over iSER does not list $IQN"
iser_login $ISER_IP:3260 $IQN || fail "kernel iSER login to LIO failed: $(iser_dmesg_tail | tail -3)"
[ "$(iser_sessions)" -ge 1 ] || fail "the session does not run over iSER"
dev=$(disk_of_target $IQN) || fail "no disk appeared for the LIO session"
mkfs_write_verify "$dev" 64
echo "METRIC lio_isert_rxe_packets_sent=$(( $(rxe_counter sent_pkts) - sent0 ))"
echo "METRIC lio_isert_rxe_packets_received=$(( $(rxe_counter rcvd_pkts) - rcvd0 ))"
iscsi_logout_all
[ "$(iser_sessions)" -eq 0 ] || fail "logout left an iSER session"
echo "LIO isert: discovery, login, ext4 64 MiB write/remount/verify, logout passed"
