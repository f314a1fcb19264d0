#!/usr/bin/env bash
# run.sh [options] [--] COMMAND [ARG...]
# Runs COMMAND as root in a fresh, throw-away Linux guest (QEMU, software emulation) whose userland
# is this machine's root file system (read-only, under a writable overlay that vanishes with the
# guest) and whose current directory is this machine's current directory (read-write, same path).
# Prints the guest's console; exits with COMMAND's exit code (124: timed out; 3: the guest ended
# without running it).
# Options:
#   --rxe               create the soft-RoCE device rxe0 on eth0 (RDMA for iSER and SRP)
#   --timeout SECONDS   stop the guest after this long (default 600)
#   --mem SIZE          guest memory (default 2G)
#   --cpus N            guest CPUs (default 2)
#   --forward HP:GP     this machine's 127.0.0.1:HP reaches the guest's port GP (repeatable)
#   --reach GP:HP       the guest's 10.0.2.100:GP reaches this machine's 127.0.0.1:HP (repeatable)
#   --module-option MODULE:NAME=VALUE[,NAME=VALUE]  parameters for a module the guest loads at boot
# The guest's network is closed (QEMU user networking, restrict=on): only --forward/--reach pass.
# The guest sees JAVA_HOME if it is set here.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage() { sed -n '2,/^set /p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2; }
mem=2G cpus=2 timeout=600 rxe=0 net="" kargs=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rxe) rxe=1; shift ;;
    --timeout) timeout=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --cpus) cpus=$2; shift 2 ;;
    --forward) net+=",hostfwd=tcp:127.0.0.1:${2%%:*}-10.0.2.15:${2##*:}"; shift 2 ;;
    --reach) net+=",guestfwd=tcp:10.0.2.100:${2%%:*}-cmd:socat -lf /dev/null - TCP:127.0.0.1:${2##*:}"; shift 2 ;;
    --module-option) m=${2%%:*}; m=${m//-/_}; kargs+=" guest.mod_$m=${2#*:}"; shift 2 ;;
    --) shift; break ;;
    -*) echo "run.sh: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || usage
command -v qemu-system-x86_64 >/dev/null || { echo "run.sh: qemu-system-x86_64 missing: install qemu-system-x86" >&2; exit 3; }
guest="$("$here/build.sh")" || { echo "run.sh: could not build the guest" >&2; exit 3; }

share="$(pwd -P)"
ctl="$(mktemp -d /tmp/jtarget-guest-ctl.XXXXXX)"
trap 'rm -rf "$ctl"' EXIT
{
  echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8'
  [ -n "${JAVA_HOME:-}" ] && printf 'export JAVA_HOME=%q\n' "$JAVA_HOME"
  printf '%q ' "$@"; echo
} > "$ctl/cmd.sh"

# -accel tcg: KVM is not available on the machines this runs on; qboot is the fastest firmware.
timeout --kill-after=10 "$timeout" qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m "$mem" -smp "$cpus" \
  -bios /usr/share/qemu/qboot.rom -display none -vga none -monitor none -serial stdio -no-reboot \
  -kernel "$guest/vmlinuz" -initrd "$guest/initrd.gz" \
  -append "console=ttyS0 quiet panic=-1 guest.share=$share guest.rxe=$rxe$kargs" \
  -netdev "user,id=n0,restrict=on$net" -device e1000,netdev=n0 \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs "local,path=$share,mount_tag=work,security_model=none" \
  -virtfs "local,path=$ctl,mount_tag=ctl,security_model=none" < /dev/null
status=$?
if [ $status -eq 124 ] || [ $status -eq 137 ]; then echo "run.sh: guest stopped after ${timeout} s (timeout)" >&2; exit 124; fi
[ -s "$ctl/rc" ] || { echo "run.sh: the guest ended without running the command (qemu exit $status)" >&2; exit 3; }
exit "$(cat "$ctl/rc")"
