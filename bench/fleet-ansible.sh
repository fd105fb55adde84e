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
# of the play is run alone (--tags), 3 times, fresh nodes each time; the
# medians are compared.
#
# ANSIBLE_INTERNAL_POLL_INTERVAL (default 0.001 s) is passed through: the
# controller's main loop polls its workers at that interval while a task
# runs, so a task that runs longer on the node costs the controller more CPU
# at the default; a second run with 0.05 shows how much of the figure that is.
set -euo pipefail
N=${1:-40}
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

cat >"$work/python-node" <<WRAP
#!/bin/sh
echo \$\$ > $nodes/cgroup.procs
exec /usr/bin/python3 "\$@"
WRAP
chmod 755 "$work/python-node"
ansible-galaxy collection install "$root/ansible" -p "$work/collections" >/dev/null

{
	echo "template node { cpus 2  memory 4GiB }"
	for i in $(seq -w 1 "$N"); do echo "host n$i { use node }"; done
	for c in $(seq 1 20); do echo "context c$c { id $c  cpu { share 2 }  pids { limit 100 } }"; done
} >"$work/fleet.vsc"

cat >"$work/play.yml" <<'PLAY'
- hosts: fleet
  gather_facts: false
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

# One run of one task over every host; prints the controller's CPU in ms.
run() {
	fresh
	local before after
	before=$(cat "$ctl/cpuacct.usage")
	sh -c "echo \$\$ > $ctl/cgroup.procs; exec env ANSIBLE_COLLECTIONS_PATH=$work/collections ANSIBLE_FORKS=5 ANSIBLE_PIPELINING=1 ANSIBLE_NOCOLOR=1 ANSIBLE_INTERNAL_POLL_INTERVAL=${ANSIBLE_INTERNAL_POLL_INTERVAL:-0.001} \
		ansible-playbook -i $work/inventory.ini $work/play.yml --tags $1 \
		-e fleet_src=$work/fleet.vsc -e vsc_binary=$root/bin/vsc.js" >"$work/out.$1" 2>&1 || {
		cat "$work/out.$1" >&2
		exit 1
	}
	after=$(cat "$ctl/cpuacct.usage")
	echo $(((after - before) / 1000000))
}

median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
cmd=()
mod=()
for _ in 1 2 3; do
	cmd+=("$(run command)")
	mod+=("$(run vsc)")
done
c=$(median "${cmd[@]}")
m=$(median "${mod[@]}")
echo "controller CPU, $N hosts, internal poll interval ${ANSIBLE_INTERNAL_POLL_INTERVAL:-0.001} s, median of 3 (runs: command ${cmd[*]} ms; vsc.fleet.host ${mod[*]} ms)"
echo "  command /bin/true: $c ms ($((c / N)) ms per host)"
echo "  vsc.fleet.host:    $m ms ($((m / N)) ms per host)"
awk -v m="$m" -v c="$c" 'BEGIN { printf "  ratio: %.2fx (target <= 1.5x)\n", m / c }'
