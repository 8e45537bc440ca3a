#!/bin/sh
# bt-stop.sh NAME PID: end the bpftrace with this PID the way Ctrl-C does
# (END runs, the maps print), and return once it has exited; the caller
# then reaps it with `wait PID` for its status. POSIX sh: it runs on the
# host and in the target's busybox.
#
# bpftrace 0.17 (Debian 12) can miss a SIGINT: its handler only sets a
# flag, and the poll loop looks at the flag only when epoll_wait() fails
# with EINTR. A signal that lands while bpftrace is between two 100 ms
# epoll_wait() calls (a wide window under emulation) sets the flag, the
# next epoll_wait() times out normally, and the loop runs on for good.
# Newer bpftrace checks the flag after every wait. So send SIGINT again
# every 2 s until it exits; after 60 s print where it sleeps, after 120 s
# kill it and fail.
name=$1 pid=$2 n=0
alive() {
	[ -d /proc/$pid ] && ! grep -q '^State:[[:space:]]*[ZX]' /proc/$pid/status 2>/dev/null
}
while alive; do
	[ $((n % 4)) -eq 0 ] && kill -INT $pid 2>/dev/null
	if [ $n -eq 120 ]; then
		echo "bt-stop: $name (pid $pid) still running 60 s after the first SIGINT:" >&2
		grep -E '^(State|SigPnd|ShdPnd|SigBlk|SigIgn|SigCgt)' /proc/$pid/status >&2
		for task in /proc/$pid/task/*; do
			echo "  task ${task##*/}: wchan $(cat $task/wchan 2>/dev/null), syscall $(cat $task/syscall 2>/dev/null)" >&2
			sed 's/^/    /' $task/stack >&2 2>/dev/null
		done
	elif [ $n -ge 240 ]; then
		echo "bt-stop: $name (pid $pid) did not end within 120 s of SIGINT: killed" >&2
		kill -KILL $pid 2>/dev/null
		exit 1
	fi
	n=$((n + 1))
	sleep 0.5
done
[ $n -le 4 ] || echo "bt-stop: $name ended $((n / 2)) s after the first SIGINT ($(((n + 3) / 4)) sent)" >&2
exit 0
