# iSER helpers for the guest scenarios (sourced after lib.sh). The guest's soft-RoCE device rxe0
# sits on eth0 (10.0.2.15); the kernel initiator reaches an iSER portal through open-iscsi's
# built-in "iser" iface.

ISER_IP=10.0.2.15

iser_require_rdma() {
  [ -e /sys/class/infiniband/rxe0 ] || fail "no RDMA device rxe0 (run the guest with --rxe)"
}

# iser_iscsid: open-iscsi's daemon, started once per guest (the kernel initiator needs it).
iser_iscsid() {
  pgrep -x iscsid >/dev/null 2>&1 && return 0
  iscsid || fail "iscsid did not start"
  sleep 1
}

# iser_discover PORTAL: SendTargets over iSER (open-iscsi runs discovery through the iface's
# transport); prints the discovered records.
iser_discover() {
  iser_iscsid
  iscsiadm -m discovery -t sendtargets -p "$1" -I iser || fail "iSER discovery at $1 failed"
}

# iser_login PORTAL IQN: log in to a node record discovery made, through the iser iface.
iser_login() {
  iscsiadm -m node -T "$2" -p "$1" -I iser --login >/dev/null
}

# rxe_counter NAME: a soft-RoCE port counter (packets the RDMA layer sent or received).
rxe_counter() {
  cat "/sys/class/infiniband/rxe0/ports/1/hw_counters/$1" 2>/dev/null || echo 0
}

# iser_sessions: how many iSCSI sessions run over iSER now.
iser_sessions() {
  n=0
  for s in /sys/class/iscsi_session/session*; do
    [ -e "$s" ] || continue
    grep -q iser "$s/device/../scsi_host/"*/proc_name 2>/dev/null && n=$((n + 1))
  done
  echo $n
}

# disk_of_target IQN: the block device of the (first) session logged in to IQN.
disk_of_target() {
  for i in $(seq 1 100); do
    for s in /sys/class/iscsi_session/session*; do
      [ "$(cat "$s/targetname" 2>/dev/null)" = "$1" ] || continue
      for d in "$s"/device/target*/*/block/*; do
        [ -e "$d" ] && { echo "/dev/${d##*/}"; return 0; }
      done
    done
    sleep 0.2
  done
  return 1
}

# iser_dmesg_tail: the kernel's iSER and RDMA lines, for a failure's log.
iser_dmesg_tail() {
  dmesg | grep -Ei 'iser|rdma|rxe|iscsi|connection' | tail -20
}

# iser_metrics LOG PREFIX: the RDMA layer's counts over every SCSI command of a jtarget run, from
# the line its iSER portal logs when it closes; printed as METRIC lines (per command, and totals).
iser_metrics() {
  line=$(grep "iSER portal .* closed:" "$1" | tail -1)
  [ -n "$line" ] || { echo "no iSER totals in $1"; return 1; }
  echo "$line" | sed 's/.*closed: //; s/ SCSI commands;//' | awk -v p="$2" '{
    n = $1; for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    calls = v["post_send"] + v["post_recv"] + v["poll_cq"] + v["req_notify_cq"]
    printf "METRIC %s_scsi_commands=%d\n", p, n
    if (n > 0) {
      printf "METRIC %s_verbs_calls_per_command=%.2f\n", p, calls / n
      printf "METRIC %s_post_send_per_command=%.2f\n", p, v["post_send"] / n
      printf "METRIC %s_post_recv_per_command=%.2f\n", p, v["post_recv"] / n
      printf "METRIC %s_completions_per_command=%.2f\n", p, v["completions"] / n
      printf "METRIC %s_wakeups_per_command=%.2f\n", p, v["wakeups"] / n
      printf "METRIC %s_error_completions=%d\n", p, v["error_completions"]
    }
  }'
}
