# SRP helpers for the guest scenarios (sourced after lib.sh). Linux's SRP initiator (ib_srp) logs
# in over RDMA/CM on soft-RoCE rxe0 (eth0, 10.0.2.15) when told a target's identifiers and address
# through sysfs; it names its scsi host "ib_srp" and each login an srp_remote_ports entry.

SRP_IP=10.0.2.15

srp_require_rdma() {
  [ -e /sys/class/infiniband/rxe0 ] || fail "no RDMA device rxe0 (run the guest with --rxe)"
  modprobe ib_srp || fail "cannot load ib_srp"
  retry 20 test -e /sys/class/infiniband_srp/srp-rxe0-1/add_target || fail "ib_srp made no srp-rxe0-1"
}

# srp_guid: rxe0's node GUID as 16 hex digits (the target port identifier's two halves)
srp_guid() {
  tr -d ':\n' < /sys/class/infiniband/rxe0/node_guid
}

# srp_login PORT [INITIATOR_EXT]: ib_srp logs in to the SRP target at SRP_IP:PORT over RDMA/CM
# (add_target); INITIATOR_EXT (hex) makes another initiator port of the same HCA port
srp_login() {
  _g=$(srp_guid)
  echo "id_ext=0x$_g,ioc_guid=0x$_g,dest=$SRP_IP:$1${2:+,initiator_ext=$2}" \
    > /sys/class/infiniband_srp/srp-rxe0-1/add_target \
    || { srp_dmesg_tail >&2; fail "add_target to $SRP_IP:$1 failed"; }
  at_exit "srp_logout_all"
}

# srp_logout_all: removes every SRP remote port (the initiator disconnects its channels)
srp_logout_all() {
  for _p in /sys/class/srp_remote_ports/port-*; do
    [ -e "$_p/delete" ] && echo 1 > "$_p/delete"
  done
  retry 60 _srp_no_ports
}
_srp_no_ports() {
  ! ls -d /sys/class/srp_remote_ports/port-* >/dev/null 2>&1
}

# srp_disk [EXCEPT]: a block device ib_srp made, other than /dev/EXCEPT (waits for it)
srp_disk() {
  retry 60 _srp_disk "${1#/dev/}" > "$GUEST_RUN/srp-disk" || { srp_dmesg_tail >&2; fail "no SCSI disk appeared over SRP"; }
  echo "/dev/$(cat "$GUEST_RUN/srp-disk")"
}
_srp_disk() {
  for _h in /sys/class/scsi_host/host*; do
    [ "$(cat "$_h/proc_name" 2>/dev/null)" = ib_srp ] || continue
    for _b in "$_h"/device/target*/*/block/*; do
      [ -e "$_b" ] && [ "${_b##*/}" != "$1" ] && { echo "${_b##*/}"; return 0; }
    done
  done
  return 1
}

# srp_delete_port_of DEV: deletes the SRP remote port (the login) DEV came from
srp_delete_port_of() {
  _host=$(readlink -f "/sys/block/${1#/dev/}/device" | grep -o 'host[0-9]*' | head -1)
  _port=$(ls -d /sys/class/srp_remote_ports/port-"${_host#host}":* 2>/dev/null | head -1)
  [ -n "$_port" ] || fail "no SRP remote port for $1 ($_host)"
  echo 1 > "$_port/delete"
}

# srp_dmesg_tail: the kernel's last SRP and RDMA lines (for a failure's reason)
srp_dmesg_tail() {
  dmesg | grep -Ei 'srp|rdma|rxe|scsi' | tail -20
}

# srp_metrics LOG PREFIX: the RDMA layer's counts per SCSI command of a jtarget run, from the line
# its SRP target port logs when it closes, as METRIC lines
srp_metrics() {
  rdma_metrics "$1" "SRP target port closed:" "$2"
}
