# jtarget's SRP target port and Linux's SRP initiator (ib_srp) as users run it: add_target over
# RDMA/CM, the disk appears, mkfs.ext4, 64 MiB written, remounted and verified; sg_persist
# registers and reserves over SRP and READ FULL STATUS shows the initiator's SRP TransportID; the
# remote port is deleted mid-I/O and every channel of jtarget drains and is released. Reports the RDMA
# layer's work requests, completions and verbs calls per SCSI command.
. src/test/guest/lib.sh
. src/test/guest/lib-srp.sh
srp_require_rdma
iqn=iqn.2026-11.io.jtarget:srp
port=5555
log="$GUEST_OUT/$GUEST_SCENARIO-jtarget.log"

jtarget_start --listen 127.0.0.1:3260 --srp "$SRP_IP:$port" --target "$iqn" --lun ram:160M
srp_login "$port"
disk=$(srp_disk) || exit 1
log "SRP disk $disk"
grep -q "SRP login of 0x.* accepted" "$log" || fail "jtarget logged no accepted SRP login"
channels=$(grep -c "SRP login of 0x.* accepted" "$log")
metric srp_channels_logged_in "$channels"
mkfs_write_verify "$disk" 64

# persistent reservations over SRP: READ FULL STATUS names the initiator by its SRP TransportID
sg_persist -n -o -G -S 0x5151 "$disk" >/dev/null || fail "sg_persist REGISTER over SRP failed"
sg_persist -n -o -R -K 0x5151 -T 1 "$disk" >/dev/null || fail "sg_persist RESERVE over SRP failed"
sg_persist -n -i -s "$disk" > "$GUEST_RUN/full-status" 2>&1 || fail "READ FULL STATUS over SRP failed"
cat "$GUEST_RUN/full-status"
grep -qi "rdma" "$GUEST_RUN/full-status" || fail "READ FULL STATUS shows no SRP TransportID: $(tr '\n' ' ' < "$GUEST_RUN/full-status")"
# the identifier is printed as hex bytes: the initiator port is 8 zero bytes and the port GUID
tr -d ' \n' < "$GUEST_RUN/full-status" | grep -qi "0000000000000000$(srp_guid)" \
  || fail "READ FULL STATUS does not name this initiator port"
sg_persist -n -o -L -K 0x5151 -T 1 "$disk" >/dev/null || fail "sg_persist RELEASE failed"
sg_persist -n -o -G -K 0x5151 -S 0 "$disk" >/dev/null || fail "sg_persist unregister failed"

# the initiator deletes its remote port in the middle of direct I/O: every channel drains (work
# requests posted, commands in the SCSI core) and is released once
dd if=/dev/zero of="$disk" bs=1M count=128 oflag=direct status=none 2>/dev/null & DD_PID=$!
at_exit "kill $DD_PID 2>/dev/null"
sleep 2
kill -0 $DD_PID 2>/dev/null || log "dd ended before the remote port was deleted"
srp_logout_all || fail "the SRP remote port did not go away"
wait $DD_PID 2>/dev/null
retry 60 sh -c "[ \$(grep -c 'SRP channel .* released' '$log') -ge $channels ]" \
  || fail "jtarget released $(grep -c 'SRP channel .* released' "$log") of $channels SRP channels"
grep -q "SRP I_T nexus 0x.* ended" "$log" || fail "the SRP I_T nexus did not end"
jtarget_stop
grep -q "SRP target port: $channels channels released" "$log" || fail "not every channel was released exactly once: $(grep 'channels released' "$log")"
srp_metrics "$log" srp || fail "jtarget logged no SRP totals"
exit 0
