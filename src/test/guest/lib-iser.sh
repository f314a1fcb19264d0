# iSER helpers for the guest scenarios (sourced after lib.sh). The guest's soft-RoCE device rxe0
# sits on eth0 (10.0.2.15); the kernel initiator reaches an iSER portal through open-iscsi's
# built-in "iser" iface, which also runs SendTargets over iSER.

ISER_IP=10.0.2.15

iser_require_rdma() {
  [ -e /sys/class/infiniband/rxe0 ] || fail "no RDMA device rxe0 (run the guest with --rxe)"
}

# rxe_counter NAME: a soft-RoCE port counter (packets the RDMA device sent or received)
rxe_counter() {
  cat "/sys/class/infiniband/rxe0/ports/1/hw_counters/$1" 2>/dev/null || echo 0
}

# iser_sessions: how many iSCSI sessions run over iSER now
iser_sessions() {
  iscsiadm -m session 2>/dev/null | grep -c '^iser:'
}

# iser_dmesg_tail: the kernel's last iSER, RDMA and iSCSI lines (for a failure's reason)
iser_dmesg_tail() {
  dmesg | grep -Ei 'iser|rdma|rxe|iscsi|connection' | tail -20
}

# iser_metrics LOG PREFIX: the RDMA layer's counts per SCSI command of a jtarget run, from the line
# its iSER portal logs when it closes, as METRIC lines
iser_metrics() {
  rdma_metrics "$1" "iSER portal .* closed:" "$2"
}
