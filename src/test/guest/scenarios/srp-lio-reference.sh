# The reference for srp-jtarget: the same steps against LIO's SRP target (ib_srpt) in the same
# guest: add_target over RDMA/CM, the disk appears, mkfs.ext4, 64 MiB written, remounted and
# verified; READ FULL STATUS shows the SRP TransportID; after a SCSI host reset ib_srp logs in
# again and the disk is served; the remote port is deleted.
. src/test/guest/lib.sh
. src/test/guest/lib-srp.sh
srp_require_rdma
port=5557
modprobe ib_srpt || fail "cannot load ib_srpt"
bs=$(lio_ramdisk srpref 160) || exit 1
mkdir -p "$LIO/srpt" 2>/dev/null
echo "$port" > "$LIO/srpt/discovery_auth/rdma_cm_port" || fail "cannot set ib_srpt's RDMA/CM port"
# ib_srpt names its ports by GID (0x + 32 hex digits) and admits initiator ports by ACL
gid=0x$(tr -d ':\n' < /sys/class/infiniband/rxe0/ports/1/gids/0)
tpg=$LIO/srpt/$gid/tpgt_1
mkdir -p "$tpg/lun/lun_0" || fail "cannot create ib_srpt port $gid"
ln -s "$bs" "$tpg/lun/lun_0/srpref" || fail "cannot map the LUN"
initiator=0x0000000000000000$(srp_guid)
mkdir -p "$tpg/acls/$initiator/lun_0" || fail "cannot create the ACL of $initiator"
ln -s "$tpg/lun/lun_0" "$tpg/acls/$initiator/lun_0/lun_0" || fail "cannot map the ACL's LUN"
echo 1 > "$tpg/enable" || fail "cannot enable the ib_srpt port"
at_exit "echo 0 > '$tpg/enable' 2>/dev/null"

srp_login "$port"
disk=$(srp_disk) || exit 1
log "LIO SRP disk $disk"
mkfs_write_verify "$disk" 64
sg_persist -n -o -G -S 0x5151 "$disk" >/dev/null || fail "sg_persist REGISTER over SRP (LIO) failed"
sg_persist -n -i -s "$disk" > "$GUEST_RUN/full-status" 2>&1 || fail "READ FULL STATUS (LIO) failed"
cat "$GUEST_RUN/full-status"
grep -qi "rdma" "$GUEST_RUN/full-status" || fail "LIO's READ FULL STATUS shows no SRP TransportID"
sg_persist -n -o -G -K 0x5151 -S 0 "$disk" >/dev/null || fail "sg_persist unregister (LIO) failed"
sg_reset -H "$disk" > /dev/null 2>&1 || fail "sg_reset -H $disk (LIO) failed"
retry 90 dd if="$disk" of=/dev/null bs=1M count=4 iflag=direct status=none || fail "$disk (LIO) is not served after the host reset"
srp_logout_all || fail "the SRP remote port did not go away"
exit 0
