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

# iser_metrics LOG PREFIX: the RDMA layer's counts over every SCSI command of a jtarget run, from
# the line its iSER portal logs when it closes, as METRIC lines (per command)
iser_metrics() {
  _line=$(grep "iSER portal .* closed:" "$1" | tail -1)
  [ -n "$_line" ] || return 1
  echo "$_line" | sed 's/.*closed: //; s/ SCSI commands;//' | awk -v p="$2" '{
    n = $1; for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    calls = v["post_send"] + v["post_recv"] + v["poll_cq"] + v["req_notify_cq"]
    printf "METRIC %s_scsi_commands=%d\n", p, n
    if (n > 0) {
      printf "METRIC %s_verbs_calls_per_command=%.2f\n", p, calls / n
      printf "METRIC %s_post_send_per_command=%.2f\n", p, v["post_send"] / n
      printf "METRIC %s_post_recv_per_command=%.2f\n", p, v["post_recv"] / n
      printf "METRIC %s_poll_cq_per_command=%.2f\n", p, v["poll_cq"] / n
      printf "METRIC %s_completions_per_command=%.2f\n", p, v["completions"] / n
      printf "METRIC %s_wakeups_per_command=%.2f\n", p, v["wakeups"] / n
    }
  }'
}
