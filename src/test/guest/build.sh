#!/usr/bin/env bash
# build.sh: builds the test guest's kernel and initramfs (see README.md in this directory) and
# prints the directory that holds them (vmlinuz, initrd.gz). Messages go to stderr.
#
# The kernel is Debian's stock kernel, taken from the linux-image package that linux-image-amd64
# depends on (downloaded once with `apt-get download` into the cache); the modules in the
# initramfs come from the same package, so they always match it. The initramfs holds busybox, the
# modules the tests need and init.sh; the guest's userland is this machine's root over 9p.
#
# Cache: ${JTARGET_GUEST_CACHE:-/var/tmp/jtarget-guest}. Each build lives in a directory named by
# a hash of this script, init.sh and the kernel package, so a change to either rebuilds, and
# branches with different scripts do not overwrite each other's guest. A lock (flock) serialises
# builds: concurrent callers wait, then reuse the result. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${JTARGET_GUEST_CACHE:-/var/tmp/jtarget-guest}"

die() { echo "guest build: $*" >&2; exit 1; }

# Modules in the initramfs. The guest loads the boot set at boot, the rxe set with run.sh --rxe;
# the others (and everything they depend on) are loaded on demand, by modprobe in the chroot or by
# the kernel's own module requests, which init.sh routes to that modprobe (there is no udev: drivers
# udev would load by modalias are in the boot set).
# sd_mod and sg: the SCSI disks of iSCSI sessions and tcm_loop (no udev in the guest loads them)
boot_modules=(virtio_pci e1000 9p 9pnet_virtio overlay configfs sd_mod sg)
# crc32 first: rdma_rxe needs it for the RoCE ICRC and does not pull it in by itself
rxe_modules=(crc32_generic crc32-pclmul rdma_rxe ib_uverbs rdma_ucm ib_umad)
demand_modules=(
  crc32c_generic crc32c-intel loop ext4
  iscsi_tcp ib_iser ib_srp
  target_core_mod target_core_file target_core_iblock target_core_pscsi target_core_user tcm_loop
  iscsi_target_mod ib_isert ib_srpt
)

tools_missing=()
# the initramfs has no libc: busybox must be the static build
busybox="$(command -v busybox || true)"
[ -n "$busybox" ] && ! ldd "$busybox" >/dev/null 2>&1 || tools_missing+=(busybox-static)
command -v cpio >/dev/null || tools_missing+=(cpio)
command -v depmod >/dev/null || tools_missing+=(kmod)
command -v apt-get >/dev/null || die "needs apt-get and dpkg (Debian) to fetch the kernel package"
[ ${#tools_missing[@]} -eq 0 ] || die "missing Debian packages: $(printf '%s\n' "${tools_missing[@]}" | sort -u | tr '\n' ' ')(scripts/test installs them)"

mkdir -p "$cache/dl"
exec 9>"$cache/.lock"
flock 9

kernel_pkg() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'; }
kpkg="$(kernel_pkg)"
if [ -z "$kpkg" ] && [ "$(id -u)" -eq 0 ]; then
  apt-get update -qq >/dev/null 2>&1 || true
  kpkg="$(kernel_pkg)"
fi
[ -n "$kpkg" ] || die "apt-cache knows no linux-image-amd64: run apt-get update (scripts/test does, as root)"
deb="$(ls "$cache/dl/${kpkg}"_*.deb 2>/dev/null | tail -1 || true)"
if [ -z "$deb" ]; then
  echo "guest build: downloading $kpkg" >&2
  (cd "$cache/dl" && apt-get download -q "$kpkg" >/dev/null 2>&1) || die "apt-get download $kpkg failed"
  deb="$(ls "$cache/dl/${kpkg}"_*.deb | tail -1)"
fi

key="$(cat "$here/build.sh" "$here/init.sh" <(basename "$deb") | sha256sum | cut -c1-16)"
out="$cache/guest-$key"
if [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.gz" ]; then
  touch "$out"
  echo "$out"
  exit 0
fi

started=$SECONDS
tmp="$(mktemp -d "$cache/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/k"
kver="$(ls "$tmp/k/lib/modules" | head -1)"
[ -n "$kver" ] && [ -f "$tmp/k/boot/vmlinuz-$kver" ] || die "$deb holds no kernel"
depmod -b "$tmp/k" "$kver"

root="$tmp/root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,host,lower,rw} "$root/lib/modules/$kver"
cp "$busybox" "$root/bin/busybox"
for applet in sh mount umount mkdir insmod cat tr sed tail chroot poweroff sleep echo ip cp ls \
              hostname grep cut; do
  ln -s busybox "$root/bin/$applet"
done

# Modules keep their place under kernel/ so the modules.dep depmod writes for this small tree is
# valid in the guest, where kmod (modprobe, iscsiadm, tcmu-runner) finds them.
with_dependencies() { # prints the module files MODULES... need, dependencies first
  for m in "$@"; do
    modprobe -d "$tmp/k" -S "$kver" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" { print $2 }'
  done
}
mdir="$root/lib/modules/$kver"
with_dependencies "${boot_modules[@]}" | awk '!seen[$0]++' > "$tmp/boot"
with_dependencies "${rxe_modules[@]}" | awk 'NR == FNR { seen[$0]++; next } !seen[$0]++' "$tmp/boot" - > "$tmp/rxe"
with_dependencies "${demand_modules[@]}" | cat "$tmp/boot" "$tmp/rxe" - | awk '!seen[$0]++' > "$tmp/all"
[ -s "$tmp/boot" ] && [ -s "$tmp/rxe" ] || die "modules missing in $deb"
uncompressed() { # the path under $mdir of module file $1, uncompressed
  echo "${1#"$tmp/k/lib/modules/$kver/"}" | sed -E 's/\.ko\.(xz|zst|gz)$/.ko/'
}
while read -r ko; do
  rel="$(uncompressed "$ko")"
  mkdir -p "$mdir/$(dirname "$rel")"
  case "$ko" in
    *.ko.xz) xz -dc "$ko" > "$mdir/$rel" ;;
    *.ko.zst) zstd -qdc "$ko" > "$mdir/$rel" ;;
    *.ko.gz) gzip -dc "$ko" > "$mdir/$rel" ;;
    *) cp "$ko" "$mdir/$rel" ;;
  esac
done < "$tmp/all"
while read -r ko; do uncompressed "$ko"; done < "$tmp/boot" > "$mdir/boot.order"
while read -r ko; do uncompressed "$ko"; done < "$tmp/rxe" > "$mdir/rxe.order"
cp "$tmp/k/lib/modules/$kver"/modules.builtin* "$tmp/k/lib/modules/$kver/modules.order" "$root/lib/modules/$kver/" 2>/dev/null || true
depmod -b "$root" "$kver"
echo "$kver" > "$root/kver"
install -m 755 "$here/init.sh" "$root/init"

mkdir -p "$tmp/out"
cp "$tmp/k/boot/vmlinuz-$kver" "$tmp/out/vmlinuz"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1 > "$tmp/out/initrd.gz")
echo "$kver" > "$tmp/out/kernel-version"
rm -rf "$out"
mv "$tmp/out" "$out"
# guests built by older scripts, unused for a week
find "$cache" -maxdepth 1 -name 'guest-*' -mtime +7 -exec rm -rf {} + 2>/dev/null || true
echo "guest build: kernel $kver, $(wc -l < "$tmp/all") modules, initramfs $(du -h "$out/initrd.gz" | cut -f1), $((SECONDS - started)) s, in $out" >&2
echo "$out"
