#!/bin/bash
# Sourced by guest.sh and guest-systemd.sh. lab_run CMD LOG runs the guest's
# command (the script CMD) in a session of its own, with a watchdog beside it
# that tells a hung test from a hung guest:
#
# - every minute a heartbeat on the serial console (through /dev/kmsg, at a
#   level `quiet` still prints): uptime, what PID 1 waits in, and every task
#   waiting uninterruptibly or on a 9p reply. The console needs neither 9p nor
#   PID 1, so when the heartbeats stop the guest itself stopped (kernel or
#   emulator); when they go on, the last ones say who is stuck.
# - when the guest has been up $VSC_LAB_DEADLINE seconds (run.sh sets it a
#   minute under its own timeout, which counts from the same moment) it
#   writes what is running and where each task waits (and, under systemd, its
#   job queue) to the console and the log, then ends the command: the run
#   then reports a hang with that picture, not just a timeout.
#
# Sets rc to the command's exit status, or 124 when the watchdog ended it.

# One line per task: pid, state, wait channel, command line; kernel threads
# only when they wait uninterruptibly. Shell builtins only: under emulation a
# fork costs tens of milliseconds, and the heartbeat runs this every minute
# beside timed tests. With an argument, only the tasks worth a look: waiting
# uninterruptibly (D) or for a 9p reply.
lab_tasks() {
  local only_stuck=${1:-} d stat st wchan args
  for d in /proc/[0-9]*; do
    read -r stat <"$d/stat" 2>/dev/null || continue
    st=${stat##*) }
    st=${st%% *}
    wchan=
    read -r wchan <"$d/wchan" 2>/dev/null
    [ -n "$only_stuck" ] && [ "$st" != D ] && [ "${wchan#p9_}" = "$wchan" ] && continue
    args=()
    mapfile -d '' -t args <"$d/cmdline" 2>/dev/null
    if [ "${#args[@]}" -eq 0 ]; then
      [ "$st" = D ] || [ -n "$only_stuck" ] || continue
      args=("[${stat#*(}")
      args=("${args[0]%%)*}]")
    fi
    printf '%6s %s %-24s %.160s\n' "${d#/proc/}" "$st" "${wchan:-0}" "${args[*]}"
  done
}

lab_stuck() {
  lab_tasks stuck
}

lab_heartbeat() {
  local up w1='' stuck='' pid st wchan cmd
  read -r up _ </proc/uptime
  read -r w1 </proc/1/wchan
  while read -r pid st wchan cmd; do
    stuck+="${stuck:+, }$pid($cmd $st $wchan)"
  done < <(lab_stuck)
  printf '<3>vsc-lab: heartbeat at %ss: pid 1 in %s; stuck: %s\n' \
    "$up" "${w1:-?}" "${stuck:-none}" >/dev/kmsg 2>/dev/null
}

# What a hang looks like from inside: every task, the stacks of the stuck
# ones, systemd's job queue when PID 1 answers, the kernel's last words.
lab_picture() {
  local p
  echo "vsc-lab: watchdog: the command still ran ${VSC_LAB_DEADLINE}s after the guest booted; what the guest was doing:"
  lab_tasks
  for p in 1 $(lab_stuck | cut -c1-6); do
    echo "--- /proc/$p/stack ($(cat "/proc/$p/comm" 2>/dev/null))"
    cat "/proc/$p/stack" 2>/dev/null
  done
  if [ -d /run/systemd/system ]; then
    echo "--- systemctl list-jobs"
    timeout 20 systemctl list-jobs --no-pager 2>&1 || echo "(PID 1 did not answer in 20 s)"
  fi
  echo "--- dmesg (last 30 lines)"
  dmesg 2>/dev/null | tail -n 30
}

lab_watchdog() {
  local pid=$1 log=$2 fired=$3 pic=$3.picture beat=$SECONDS up
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    if [ $((SECONDS - beat)) -ge 60 ]; then
      beat=$SECONDS
      lab_heartbeat
    fi
    read -r up _ </proc/uptime
    if [ "${VSC_LAB_DEADLINE:-0}" -gt 0 ] && [ "${up%.*}" -ge "$VSC_LAB_DEADLINE" ]; then
      # The console first: it works even when the log's 9p share does not.
      # (printk_devkmsg=on: /dev/kmsg would drop all but 10 lines in 5 s.)
      lab_picture >"$pic" 2>&1
      echo on >/proc/sys/kernel/printk_devkmsg 2>/dev/null
      sed 's/^/<3>vsc-lab| /' "$pic" | while IFS= read -r l; do
        printf '%s\n' "$l" >/dev/kmsg 2>/dev/null
      done
      cat "$pic" >>"$log"
      : >"$fired"
      kill -TERM -- "-$pid" 2>/dev/null
      sleep 5
      kill -KILL -- "-$pid" 2>/dev/null
      return 0
    fi
  done
}

# shellcheck disable=SC2034 # rc is the caller's
lab_run() {
  local cmd=$1 log=$2 cpid wpid fired
  fired=/tmp/vsc-lab-watchdog.$$ # the guest's own tmpfs
  rm -f "$fired"
  # setsid: the command leads its own process group, so the watchdog can end
  # all of it (a test's children too) with one signal.
  setsid bash "$cmd" >>"$log" 2>&1 </dev/null &
  cpid=$!
  lab_watchdog "$cpid" "$log" "$fired" &
  wpid=$!
  wait "$cpid"
  rc=$?
  kill "$wpid" 2>/dev/null
  wait "$wpid" 2>/dev/null
  if [ -e "$fired" ]; then
    echo "vsc-lab: watchdog ended the command ${VSC_LAB_DEADLINE}s after the guest booted" >>"$log"
    rc=124
  fi
  rm -f "$fired" "$fired.picture"
}
