#!/usr/bin/env bash
# An unprivileged user cannot change the stage-2 strategy: neither the
# module parameter new VMs read nor any per-VM debugfs file, even where an
# administrator made debugfs traversable (mode=0755). Tried in the target
# as uid/gid 65534 (busybox setpriv) while a VM is alive, and checked that
# the value in force did not move. busybox's setpriv cannot change ids, so
# the unprivileged commands run in the Debian root file system (util-linux
# setpriv) through s2chroot, which binds /sys and debugfs in.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cat >"$OUT/priv.sh" <<'SH'
P=/sys/module/kvm/parameters/stage2_strategy
nobody() { s2chroot setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
nobody sh -c 'id -u' >uid.txt 2>&1 || echo "setpriv failed: $?" >>uid.txt
echo rcu >$P
s2_dirty -v 1 -b 16M -i 400 -q -o d.json >d.log 2>&1 &
vm=$!
i=0
while [ -z "$(ls /sys/kernel/debug/kvm/ 2>/dev/null | grep "^$vm-")" ] && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i + 1))
done
dir=/sys/kernel/debug/kvm/$(ls /sys/kernel/debug/kvm/ | grep "^$vm-" | head -n 1)
echo "vmdir $dir" >>report.txt
# debugfs is root-only by default; make it traversable so that only the
# files' own permissions stand between the user and the knobs.
mount -o remount,mode=0755 /sys/kernel/debug
nobody sh -c "echo fastpath >$P" 2>>err.txt && echo "param-write ok" >>report.txt ||
	echo "param-write refused" >>report.txt
echo "param $(cat $P)" >>report.txt
for f in "$dir"/stage2_strategy; do
	nobody sh -c "echo fastpath >$f" 2>>err.txt && echo "vm-write-nobody ok" >>report.txt ||
		echo "vm-write-nobody refused" >>report.txt
	sh -c "echo fastpath >$f" 2>>err.txt && echo "vm-write-root ok" >>report.txt ||
		echo "vm-write-root refused" >>report.txt
	echo "vm $(cat $f)" >>report.txt
	echo "mode $(stat -c %a $f)" >>report.txt
done
kill $vm; wait $vm
echo rwlock >$P
exit 0
SH

rootfs=$("$ROOT/target/build-rootfs.sh" | tail -n 1)
expect_status 0 launch priv -r "$rootfs" -I "$OUT/priv.sh" -- sh priv.sh
d=$OUT/priv
cat "$d/report.txt" "$d/err.txt" 2>/dev/null || true
[ "$(cat "$d/uid.txt")" = 65534 ] || fail "could not become uid 65534 in the target: $(cat "$d/uid.txt")"
pass "commands ran as uid 65534"
grep -q '^vmdir /sys/kernel/debug/kvm/[0-9]' "$d/report.txt" || fail "the VM's debugfs directory did not appear"
expect_grep '^param-write refused$' "$d/report.txt" "an unprivileged write to stage2_strategy"
expect_grep '^param rcu$' "$d/report.txt" "the module parameter after the attempt"
expect_grep '^vm-write-nobody refused$' "$d/report.txt" "an unprivileged write to the VM's stage2_strategy"
expect_grep '^vm-write-root refused$' "$d/report.txt" "even root's write to the VM's (read-only) stage2_strategy"
expect_grep '^vm rcu$' "$d/report.txt" "the VM's strategy after the attempts"
expect_grep '^mode [0-4]{1}[0-4]{2}$' "$d/report.txt" "the per-VM file's mode (no write bit)"
