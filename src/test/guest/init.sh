#!/bin/sh
# /init of the test guest (busybox, in the initramfs that build.sh makes; run.sh boots it).
# Loads the modules, mounts this machine's root (9p, read-only) under a throw-away writable
# overlay at /host, shares the caller's directory read-write at the same path, brings up eth0
# (10.0.2.15/24) and, when asked, the soft-RoCE device rxe0, runs the command run.sh left in its
# control directory in a chroot, stores its exit code there and powers off.
export PATH=/bin
H=/host
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
say() { echo "guest: $*"; }
# guest.NAME=VALUE on the kernel command line (run.sh's options)
arg() { tr ' ' '\n' < /proc/cmdline | sed -n "s/^guest\.$1=//p" | tail -1; }
halt() { say "$*"; poweroff -f; }

kver=$(cat /kver)
load() { # insmod the modules listed in file $1, with their options from run.sh --module-option
  for rel in $(cat "$1"); do
    name=$(basename "$rel" .ko | tr - _)
    insmod "/lib/modules/$kver/$rel" $(arg "mod_$name" | tr , ' ') || say "insmod $name failed"
  done
}
load /lib/modules/$kver/boot.order
[ "$(arg rxe)" = 1 ] && load /lib/modules/$kver/rxe.order

mount -t tmpfs -o mode=755 rw /rw
mkdir -p /rw/upper /rw/work
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /lower || halt "cannot mount the host root"
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay $H || halt "cannot make the root writable"
mount -t proc proc $H/proc
mount -t sysfs sysfs $H/sys
mount -t devtmpfs devtmpfs $H/dev
mkdir -p $H/dev/pts $H/dev/shm
mount -t devpts devpts $H/dev/pts
mount -t tmpfs tmpfs $H/dev/shm
mount -t configfs configfs $H/sys/kernel/config
mount -t tmpfs -o mode=1777 tmpfs $H/tmp
mount -t tmpfs -o mode=755 tmpfs $H/run
# Kernel threads (LIO's persistent-reservation and ALUA files, anything a kworker opens by path)
# resolve paths from this initramfs root, not from the chroot: /tmp is the same in both.
mount -o bind $H/tmp /tmp
# The modules where kmod looks for them; the kernel's own module requests go through the chroot's
# modprobe as well.
mkdir -p $H/lib/modules/$kver
mount -o bind /lib/modules/$kver $H/lib/modules/$kver
printf '#!/bin/sh\nexec chroot %s /sbin/modprobe "$@"\n' $H > /bin/modprobe-host
chmod 755 /bin/modprobe-host
echo /bin/modprobe-host > /proc/sys/kernel/modprobe
mkdir -p $H/etc/modprobe.d
tr ' ' '\n' < /proc/cmdline | sed -n 's/^guest\.mod_\([^=]*\)=/\1 /p' | while read -r name opts; do
  echo "options $name $(echo "$opts" | tr , ' ')"
done > $H/etc/modprobe.d/jtarget-guest.conf

# open-iscsi: iscsid's lock directory, an initiator name, and root in /etc/passwd (iscsid refuses
# clients whose uid has no passwd entry)
mkdir -p $H/run/lock/iscsi $H/etc/iscsi $H/var/lib/iscsi
echo "InitiatorName=iqn.2026-11.io.jtarget.test:guest" > $H/etc/iscsi/initiatorname.iscsi
grep -q '^root:' $H/etc/passwd 2>/dev/null || echo 'root:x:0:0:root:/root:/bin/sh' >> $H/etc/passwd

share=$(arg share)
mkdir -p "$H$share" $H/run/guest
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 work "$H$share" || halt "cannot mount $share"
mount -t 9p -o trans=virtio,version=9p2000.L ctl $H/run/guest || halt "cannot mount the control directory"

hostname jtarget-guest
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
if [ "$(arg rxe)" = 1 ]; then
  chroot $H rdma link add rxe0 type rxe netdev eth0 || say "rxe0 not created"
fi

say "up after $(cut -d' ' -f1 /proc/uptime) s"
chroot $H /bin/sh -c 'cd "$1" && exec /bin/sh /run/guest/cmd.sh' sh "$share" < /dev/null > /dev/console 2>&1
echo $? > $H/run/guest/rc
say "command done after $(cut -d' ' -f1 /proc/uptime) s"
sync
umount "$H$share"
umount $H/run/guest
poweroff -f
