#!/bin/bash
# The Ansible module's controller CPU per host against a trivial `command`
# task in the same play (#18; target <= 1.5x). Run as root on a machine with
# cgroup v1's cpuacct controller (this test VM) and ansible-core:
#   npm run build && bash bench/fleet-ansible.sh [HOSTS]
# The controller (ansible-playbook, its workers, the action plugin and its
# one `vsc compile` per play) runs in one cpuacct cgroup; every module on
# the "nodes" (local connection, network namespaces, scratch cgroup trees)
# starts through an interpreter wrapper that moves itself to another cgroup
# first, so the controller's figure holds none of the nodes' work. Each task
# of the play is run alone (--tags), 3 times, fresh nodes each time,
# alternating command and module; the medians are compared.
#
# Both under Ansible's stock `linear` strategy and under the collection's
# `vsc.fleet.linear` (the same strategy without its busy-wait for a free
# fork: ansible/plugins/strategy/linear.py). Under the stock strategy the
# controller's main process polls the busy workers every 0.1 ms, so its CPU
# grows with how long a task runs on the node, whatever the task does on
# the controller; "main" is that process's own CPU (a callback reads its
# rusage at the end), the rest is the workers' (the action plugin, module
# transfer, results) and the one `vsc compile`.
set -euo pipefail
N=${1:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
acct=/sys/fs/cgroup/cpuacct
[ -w "$acct" ] || { echo "needs cgroup v1 cpuacct at $acct (root)" >&2; exit 1; }
work=$(mktemp -d /tmp/vsc-bench-ansible.XXXXXX)
tag=vscb$$
ctl=$acct/$tag-ctl
nodes=$acct/$tag-node
mkdir "$ctl" "$nodes"
cleanup() {
	for i in $(seq -w 1 "$N"); do ip netns del "$tag-$i" 2>/dev/null || true; done
	for g in "$ctl" "$nodes"; do
		while read -r p; do echo "$p" >"$acct/cgroup.procs" 2>/dev/null || true; done <"$g/cgroup.procs"
		rmdir "$g" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/cb"
cat >"$work/cb/main_cpu.py" <<'CB'
import os
import resource
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "main_cpu"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_stats(self, stats):
        r = resource.getrusage(resource.RUSAGE_SELF)
        with open(os.environ["MAIN_CPU_OUT"], "w") as f:
            f.write("%d\n" % ((r.ru_utime + r.ru_stime) * 1000))
CB
cat >"$work/python-node" <<WRAP
#!/bin/sh
echo \$\$ > $nodes/cgroup.procs
exec /usr/bin/python3 "\$@"
WRAP
chmod 755 "$work/python-node"
ansible-galaxy collection install "$root/ansible" -p "$work/collections" >/dev/null

mkdir "$work/fleet"
{
	echo "template node { cpus 2  memory 4GiB }"
	for i in $(seq -w 1 "$N"); do echo "host n$i { use node }"; done
	for c in $(seq 1 20); do echo "context c$c { id $c  cpu { share 2 }  pids { limit 100 } }"; done
} >"$work/fleet/fleet.vsc"

cat >"$work/play.yml" <<'PLAY'
- hosts: fleet
  gather_facts: false
  strategy: "{{ strategy }}"
  tasks:
    - name: a trivial command
      ansible.builtin.command: /bin/true
      tags: [command]
    - name: the vsc module
      vsc.fleet.host:
        src: "{{ fleet_src }}"
        netns: "{{ vsc_netns }}"
        cgroup_mount: "{{ vsc_cgroup_mount }}"
        state_dir: "{{ vsc_state_dir }}"
        binary: "{{ vsc_binary }}"
      tags: [vsc]
PLAY

fresh() {
	rm -rf "$work/cg" "$work/state"
	{
		echo "[fleet]"
		for i in $(seq -w 1 "$N"); do
			ip netns del "$tag-$i" 2>/dev/null || true
			ip netns add "$tag-$i"
			mkdir -p "$work/cg/n$i" "$work/state/n$i"
			printf 'cpu cpuset io memory pids\n' >"$work/cg/n$i/cgroup.controllers"
			printf 'cpu cpuset io memory pids\n' >"$work/cg/n$i/cgroup.subtree_control"
			: >"$work/cg/n$i/cgroup.procs"
			: >"$work/cg/n$i/.vsc-scratch"
			echo "n$i ansible_connection=local ansible_python_interpreter=$work/python-node vsc_netns=$tag-$i vsc_cgroup_mount=$work/cg/n$i vsc_state_dir=$work/state/n$i"
		done
	} >"$work/inventory.ini"
}

# One run of one task over every host under strategy $2; prints "total main" ms of controller CPU.
run() {
	fresh
	local before after
	before=$(cat "$ctl/cpuacct.usage")
	sh -c "echo \$\$ > $ctl/cgroup.procs; exec env ANSIBLE_COLLECTIONS_PATH=$work/collections ANSIBLE_FORKS=5 ANSIBLE_PIPELINING=1 ANSIBLE_NOCOLOR=1 \
		ANSIBLE_CALLBACK_PLUGINS=$work/cb ANSIBLE_CALLBACKS_ENABLED=main_cpu MAIN_CPU_OUT=$work/main \
		ansible-playbook -i $work/inventory.ini $work/play.yml --tags $1 -e strategy=$2 \
		-e fleet_src=$work/fleet/fleet.vsc -e vsc_binary=$root/bin/vsc.js" >"$work/out.$1" 2>&1 || {
		cat "$work/out.$1" >&2
		exit 1
	}
	after=$(cat "$ctl/cpuacct.usage")
	echo "$(((after - before) / 1000000)) $(cat "$work/main")"
}

median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
echo "controller CPU, $N hosts, 5 forks, median of 3 (ms; main = the ansible-playbook process itself)"
for strategy in ansible.builtin.linear vsc.fleet.linear; do
	ct=() cm=() mt=() mm=()
	for _ in ${BENCH_REPS:-1 2 3}; do
		r=$(run command $strategy)
		read -r t m <<<"$r"
		ct+=("$t") cm+=("$m")
		r=$(run vsc $strategy)
		read -r t m <<<"$r"
		mt+=("$t") mm+=("$m")
	done
	c=$(median "${ct[@]}")
	m=$(median "${mt[@]}")
	echo "strategy $strategy (runs: command ${ct[*]} (main ${cm[*]}); vsc.fleet.host ${mt[*]} (main ${mm[*]}))"
	echo "  command /bin/true: $c ms ($((c / N)) ms per host), main $(median "${cm[@]}") ms"
	echo "  vsc.fleet.host:    $m ms ($((m / N)) ms per host), main $(median "${mm[@]}") ms"
	awk -v m="$m" -v c="$c" 'BEGIN { printf "  ratio: %.2fx (target <= 1.5x)\n", m / c }'
done
