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

selftest() {
  # DEBUG: every CM event and connection state change, in the scenario's log files.
  JTARGET_LOG_LEVEL=${JTARGET_LOG_LEVEL:-DEBUG} "$java_home/bin/java" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC \
    -cp "target/test-classes:target/classes:target/lib/*" io.jtarget.rdma.RdmaSelfTest "$@"
}

# 1. rping
port=17174 count=25 size=4000
log1=$out/rdma-verbs-rping-server.log
selftest rping-server "$addr" $port $count > "$log1" 2>&1 &
server=$!
i=0
until grep -q '^READY' "$log1" 2>/dev/null; do
  i=$((i + 1))
  [ $i -le 120 ] || { kill $server 2>/dev/null; cat "$log1"; fail "rping server did not start"; }
  kill -0 $server 2>/dev/null || { cat "$log1"; fail "rping server died"; }
  sleep 1
done
if ! timeout 120 rping -c -a "$addr" -p $port -C $count -S $size -V > "$out/rdma-verbs-rping-client.log" 2>&1; then
  cat "$out/rdma-verbs-rping-client.log"
  kill $server 2>/dev/null
  fail "rping client failed against the Java server"
fi
wait $server
rc=$?
cat "$log1"
[ $rc -eq 0 ] || fail "rping server check failed (exit $rc)"

# 2. the layer against itself
log2=$out/rdma-verbs-pair.log
selftest pair "$addr" > "$log2" 2>&1
rc=$?
cat "$log2"
[ $rc -eq 0 ] || fail "pair check failed (exit $rc)"

# 3. an address whose interface has no RDMA device (a dummy interface), else one no interface has
modprobe dummy 2>/dev/null
if ip link add jtnordma0 type dummy 2>/dev/null; then
  ip addr add 192.0.2.77/32 dev jtnordma0 && ip link set jtnordma0 up
  selftest no-device 192.0.2.77 > "$out/rdma-verbs-no-device.log" 2>&1
  rc=$?
  ip link del jtnordma0
else
  selftest no-device 192.0.2.77 > "$out/rdma-verbs-no-device.log" 2>&1
  rc=$?
fi
cat "$out/rdma-verbs-no-device.log"
[ $rc -eq 0 ] || fail "binding to an address without an RDMA device did not fail with the clear line"
echo "rdma-verbs: ok"
