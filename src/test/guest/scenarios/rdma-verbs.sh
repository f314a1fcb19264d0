#!/bin/sh
# The RDMA verbs layer (io.jtarget.rdma) on soft-RoCE rxe0 against real peers:
#  1. rdma-core's rping client against our rping-protocol server: SEND/RECV, RDMA Read of the
#     client's buffer, RDMA Write back chained with a SEND, data validated by rping (-V) and by us;
#  2. our listener and connector in one JVM: reject and accept with private data, RDMA Read/Write
#     rounds with SGE lists, disconnects with sends, reads and receives outstanding from either
#     side, every connection drained and released exactly once, every buffer back in its pool;
#  3. a listener on an address whose interface has no RDMA device fails with the one clear line.
# Runs inside the guest as root from the repository root (after lib.sh); needs target/test-classes,
# target/classes and target/lib (mvn package). Prints METRIC lines.
set -u
command -v fail >/dev/null 2>&1 || fail() { echo "rdma-verbs: $*"; exit 1; }
out=${GUEST_OUT:-/tmp}
mkdir -p "$out"

java_home=${JAVA_HOME:-}
if [ -z "$java_home" ] || [ ! -x "$java_home/bin/java" ]; then
  for j in /usr/lib/jvm/*25*; do [ -x "$j/bin/java" ] && java_home=$j && break; done
fi
[ -x "$java_home/bin/java" ] || fail "no JDK 25 (set JAVA_HOME)"
for d in target/test-classes/io/jtarget/rdma target/classes/io/jtarget/rdma target/lib; do
  [ -e "$d" ] || fail "missing $d: build first (./mvnw package -DskipTests and test-compile)"
done
command -v rping >/dev/null 2>&1 || fail "rping missing (Debian: rdmacm-utils)"
ibv_devices 2>/dev/null | grep -q rxe0 || fail "no rxe0 (the guest needs --rxe)"
addr=$(ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1 | head -n1)
[ -n "$addr" ] || fail "eth0 has no IPv4 address"

# An address whose interface has no RDMA device: a dummy interface, else one no interface has.
nodev=192.0.2.77
modprobe dummy 2>/dev/null
if ip link add jtnordma0 type dummy 2>/dev/null; then
  command -v at_exit >/dev/null 2>&1 && at_exit "ip link del jtnordma0"
  ip addr add $nodev/32 dev jtnordma0 && ip link set jtnordma0 up
  echo "no-device check: $nodev on the dummy interface jtnordma0"
else
  echo "no-device check: $nodev on no interface (no dummy interfaces in this kernel)"
fi

# One JVM (a JVM start is dear under emulation) runs the three checks in turn: the rping server
# (waits for our rping client), then the pair, then the no-device bind. DEBUG logs every CM event
# and connection state change into the log file.
port=17174 count=10 size=4000
log=$out/rdma-verbs-selftest.log
JTARGET_LOG_LEVEL=${JTARGET_LOG_LEVEL:-DEBUG} "$java_home/bin/java" --enable-native-access=ALL-UNNAMED \
  -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "target/test-classes:target/classes:target/lib/*" \
  io.jtarget.rdma.RdmaSelfTest all "$addr" $port $count $nodev > "$log" 2>&1 &
selftest=$!
i=0
until grep -q '^READY' "$log" 2>/dev/null; do
  i=$((i + 1))
  kill -0 $selftest 2>/dev/null || { grep -v DEBUG "$log"; fail "the self-test died before listening"; }
  [ $i -le 240 ] || { kill $selftest; grep -v DEBUG "$log"; fail "the self-test did not listen within 120 s"; }
  sleep 0.5
done
if ! timeout 120 rping -c -a "$addr" -p $port -C $count -S $size -V > "$out/rdma-verbs-rping-client.log" 2>&1; then
  cat "$out/rdma-verbs-rping-client.log"
  kill $selftest 2>/dev/null
  fail "rping client failed against the Java server"
fi
wait $selftest
rc=$?
grep -v DEBUG "$log"
[ $rc -eq 0 ] || fail "RdmaSelfTest failed (exit $rc); details in $log"
echo "rdma-verbs: ok"
