# jtarget's SRP target port and Linux's SRP initiator (ib_srp) as users run it: add_target over
# RDMA/CM, the disk appears, mkfs.ext4, 64 MiB written, remounted and verified, small writes carried
# as immediate data; sg_persist registers and reserves over SRP and READ FULL STATUS shows the
# initiator's SRP TransportID; the operator drops the session (`jtarget session drop`): each channel
# gets SRP_T_LOGOUT before its disconnect and ib_srp logs in again by itself, as it does after a
# SCSI host reset (sg_reset -H: a SINGLE login of the same initiator port); the remote port is
# deleted mid-I/O and every channel of jtarget drains and is released. Reports the RDMA layer's work
# requests, completions and verbs calls per SCSI command. Last, the target is removed while ib_srp is
# logged in: SRP_T_LOGOUT on each channel, and its logins are refused from then on.
. src/test/guest/lib.sh
. src/test/guest/lib-srp.sh
srp_require_rdma
iqn=iqn.2026-11.io.jtarget:srp
port=5555
log="$GUEST_OUT/$GUEST_SCENARIO-jtarget.log"
data_dir="$GUEST_RUN/srp-data"
rm -rf "$data_dir"
at_exit "rm -rf $data_dir"

jtarget_start --data-dir "$data_dir" --listen 127.0.0.1:3260 --srp "$SRP_IP:$port" --target "$iqn" --lun ram:160M
srp_login "$port"
disk=$(srp_disk) || exit 1
log "SRP disk $disk"
grep -q "SRP login of 0x.* accepted" "$log" || fail "jtarget logged no accepted SRP login"
channels=$(grep -c "SRP login of 0x.* accepted" "$log")
metric srp_channels_logged_in "$channels"
mkfs_write_verify "$disk" 64
grep -q "SRP login of 0x.* accepted (.*immediate data at offset 68)" "$log" \
  || fail "ib_srp asked for no immediate data or was not granted it: $(grep 'SRP login of' "$log" | tail -1)"

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

# the operator drops the SRP session: each channel gets SRP_T_LOGOUT before its disconnect (ib_srp
# logs "Got target logout request"), then ib_srp reconnects by itself (its reconnect_delay) and the
# same disk is served again
logouts=$(dmesg | grep -c "Got target logout request")
sid=$(jtarget_cli session list --data-dir "$data_dir" | awk '$1 ~ /^srp-/ { print $1; exit }')
[ -n "$sid" ] || fail "session list shows no SRP session"
jtarget_cli session drop --data-dir "$data_dir" "$sid" > /dev/null || fail "session drop $sid failed"
retry 30 sh -c "[ \$(dmesg | grep -c 'Got target logout request') -ge $((logouts + channels)) ]" \
  || fail "ib_srp got $(( $(dmesg | grep -c 'Got target logout request') - logouts )) SRP_T_LOGOUT for $channels channels"
retry 90 sh -c "[ \$(grep -c 'SRP login of 0x.* accepted' '$log') -ge $((2 * channels)) ]" \
  || fail "ib_srp did not log in again after the session was dropped"
retry 60 dd if="$disk" of=/dev/null bs=1M count=4 iflag=direct status=none || fail "$disk is not served after the re-login"
metric srp_target_logouts_seen_by_initiator "$(( $(dmesg | grep -c 'Got target logout request') - logouts ))"

# a SCSI host reset: ib_srp disconnects every channel and logs in again, its first channel with
# SINGLE (a new nexus of the same initiator port, whether or not jtarget saw the old channels go first)
logins=$(grep -c "SRP login of 0x.* accepted" "$log")
sg_reset -H "$disk" > /dev/null 2>&1 || fail "sg_reset -H $disk failed: $(srp_dmesg_tail | tail -3)"
retry 90 sh -c "[ \$(grep -c 'SRP login of 0x.* accepted' '$log') -ge $((logins + channels)) ]" \
  || fail "ib_srp did not log in again after the host reset"
retry 60 dd if="$disk" of=/dev/null bs=1M count=4 iflag=direct status=none || fail "$disk is not served after the host reset"
metric srp_single_logins_ending_live_channels "$(grep -c 'a SINGLE login of the same initiator port' "$log")"

# the initiator deletes its remote port in the middle of direct I/O: every channel drains (work
# requests posted, commands in the SCSI core) and is released once
dd if=/dev/zero of="$disk" bs=1M count=128 oflag=direct status=none 2>/dev/null & DD_PID=$!
at_exit "kill $DD_PID 2>/dev/null"
sleep 2
kill -0 $DD_PID 2>/dev/null || log "dd ended before the remote port was deleted"
srp_logout_all || fail "the SRP remote port did not go away"
wait $DD_PID 2>/dev/null
channels=$(grep -c "SRP login of 0x.* accepted" "$log")
retry 60 sh -c "[ \$(grep -c 'SRP channel .* released' '$log') -ge $channels ]" \
  || fail "jtarget released $(grep -c 'SRP channel .* released' "$log") of $channels SRP channels"
grep -q "SRP I_T nexus 0x.* ended" "$log" || fail "the SRP I_T nexus did not end"

# the target removed while ib_srp is logged in: each channel gets SRP_T_LOGOUT and is released;
# ib_srp's attempts to log in again are rejected (nothing left to export)
srp_login "$port"
srp_disk > /dev/null || exit 1
channels=$(grep -c "SRP login of 0x.* accepted" "$log")
logouts=$(dmesg | grep -c "Got target logout request")
jtarget_cli target remove --data-dir "$data_dir" "$iqn" > /dev/null || fail "target remove $iqn failed"
retry 60 sh -c "[ \$(grep -c 'SRP channel .* released' '$log') -ge $channels ]" \
  || fail "jtarget released $(grep -c 'SRP channel .* released' "$log") of $channels SRP channels after the target was removed"
[ "$(dmesg | grep -c 'Got target logout request')" -gt "$logouts" ] || fail "no SRP_T_LOGOUT when the target was removed"
retry 60 grep -q "SRP login of 0x.* rejected" "$log" || fail "ib_srp's login to a removed target was not rejected"
srp_logout_all || fail "the SRP remote port did not go away"
jtarget_stop
grep -q "SRP target port: $channels channels released" "$log" || fail "not every channel was released exactly once: $(grep 'channels released' "$log")"
immediate=$(sed -n 's/.* \([0-9]*\) commands with immediate data.*/\1/p' "$log" | tail -1)
[ "${immediate:-0}" -gt 0 ] || fail "no command carried immediate data"
metric srp_immediate_data_commands "$immediate"
srp_metrics "$log" srp || fail "jtarget logged no SRP totals"
exit 0
