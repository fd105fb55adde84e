#!/usr/bin/env bash
# The applier's hostile cases (issue #13), run through the CLI against a
# scratch cgroup tree and a scratch network namespace (root needed: netns,
# tmpfs and bind mounts). Prints one line per case: name, exit code, seconds.
#
#   bash scripts/hostile-apply.sh [VSC_LAUNCHER]     (default: bin/vsc.js of this checkout)
set -u
vsc=${1:-$(cd "$(dirname "$0")/.." && pwd)/bin/vsc.js}
[ "$(id -u)" = 0 ] || { echo "hostile-apply: needs root" >&2; exit 2; }
work=$(mktemp -d /tmp/vsc-hostile.XXXXXX)
ns=vsc-h-$$
ip netns add "$ns"
ip -n "$ns" link add eth0 type veth peer name eth0p
ip -n "$ns" link set eth0 up; ip -n "$ns" link set eth0p up
cleanup() {
  findmnt -rn -o TARGET | grep "^$work/" | sort -r | while read -r m; do umount -l "$m"; done
  ip netns del "$ns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
keep() { cp "$work"/*.out "$KEEP_OUT"/; cleanup; }
[ -n "${KEEP_OUT:-}" ] && trap keep EXIT

cat >"$work/a.vsc" <<'V'
host node1 {
  cpus 2
  memory 4GiB
  cgroup-root "vsc"
}
context a {
  id 1
  cpu { share 2 }
  memory { limit 256MiB }
}
context b {
  id 2
  memory { limit 512MiB }
}
V
sed 's/cgroup-root "vsc"/cgroup-root "vsc"\n  link eth0 rate 1gbit/' "$work/a.vsc" >"$work/c.vsc"
sed 's/share 2/share 3/; s/limit 512MiB/limit 1GiB/' "$work/a.vsc" >"$work/b.vsc"
printf 'context c {\n  id 3\n  memory { limit 64MiB }\n}\ncontext d {\n  id 4\n  memory { limit 64MiB }\n}\n' >>"$work/b.vsc"

fresh() { # fresh scratch mount at $work/$1 (optionally on a tmpfs of $2 KiB)
  local d=$work/$1
  mkdir -p "$d"
  if [ -n "${2:-}" ]; then mount -t tmpfs -o size="$2"k tmpfs "$d"; fi
  node -e "import('$(dirname "$vsc")/../dist/src/apply/scratch.js').then(m=>m.makeScratchMount('$d/cg'))"
  echo "$d"
}
run() { # name, then vsc args; prints "name rc seconds" and keeps the output
  local name=$1; shift
  local t0 t1 rc
  t0=$(date +%s.%N)
  VSC_STATE_DIR=${STATE:-$work/state} timeout 60 node "$vsc" "$@" >"$work/$name.out" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  printf '%-34s exit %-3s %6.2fs  %s\n' "$name" "$rc" "$(echo "$t1 - $t0" | bc)" \
    "$(grep -m1 -oE 'VSC[0-9]{4}|Error: .*|internal error.*' "$work/$name.out")"
}
edit() { node -e "const fs=require('fs');const p=JSON.parse(fs.readFileSync('$1'));($2)(p);fs.writeFileSync('$1',JSON.stringify(p))"; }

# 1. a saved plan whose cgroup path escapes with ..
d=$(fresh p1); mkdir -p "$d/cg/foreign"; echo 100 >"$d/cg/foreign/cpu.weight"
node "$vsc" plan "$work/a.vsc" --cgroup-mount "$d/cg" --netns "$ns" --out "$work/p1.json" >/dev/null 2>&1
edit "$work/p1.json" 'p=>{const a=p.actions.find(x=>x.type==="cgroup-file"&&x.file==="cpu.weight"&&x.path==="vsc/a");a.path="vsc/../foreign";a.after="9999"}'
run plan-path-dotdot apply "$work/p1.json" --cgroup-mount "$d/cg" --netns "$ns"
echo "    foreign/cpu.weight now: $(cat "$d/cg/foreign/cpu.weight")"
node "$vsc" destroy "$work/a.vsc" --cgroup-mount "$d/cg" --netns "$ns" --auto-approve >/dev/null 2>&1

# 2. a saved plan whose ruleset makes another table (and a later step fails)
d=$(fresh p2)
node "$vsc" plan "$work/a.vsc" --cgroup-mount "$d/cg" --netns "$ns" --out "$work/p2.json" >/dev/null 2>&1
edit "$work/p2.json" 'p=>{const n=p.actions.find(x=>x.type==="nft");n.after.ruleset+="table ip evil {\n chain c {\n  type filter hook input priority 0; policy accept;\n }\n}\n";p.actions.push({type:"cgroup",op:"create",address:"cgroup vsc/a",path:"vsc/a"})}'
run plan-nft-other-table apply "$work/p2.json" --cgroup-mount "$d/cg" --netns "$ns"
echo "    claims \"as it was\": $(grep -c "as it was" "$work/plan-nft-other-table.out"); tables now: $(ip netns exec "$ns" nft list tables | tr '\n' ' ')"
ip netns exec "$ns" nft delete table ip evil 2>/dev/null
node "$vsc" destroy "$work/a.vsc" --cgroup-mount "$d/cg" --netns "$ns" --auto-approve >/dev/null 2>&1

# 3. a saved plan whose tc qdisc handle carries a second batch line (run by the rollback)
d=$(fresh p3); ip netns exec "$ns" tc qdisc add dev eth0 root handle 1: htb
node "$vsc" plan "$work/c.vsc" --cgroup-mount "$d/cg" --netns "$ns" --out "$work/p3.json" >/dev/null 2>&1
edit "$work/p3.json" 'p=>{p.actions=[{type:"cgroup",op:"create",address:"cgroup vsc",path:"vsc"},{type:"tc-qdisc",op:"delete",address:"tc eth0 qdisc 1:",dev:"eth0",before:{kind:"htb",handle:"1: htb\nqdisc add dev eth0p root handle 7:"},after:null,restoreClasses:{}},{type:"cgroup-file",op:"update",address:"cgroup vsc io.max",path:"vsc",file:"io.max",before:"",after:"bad"}]}'
run plan-tc-injection apply "$work/p3.json" --cgroup-mount "$d/cg" --netns "$ns"
echo "    eth0p root qdisc: $(ip netns exec "$ns" tc qdisc show dev eth0p root | head -1)"
ip netns exec "$ns" tc qdisc del dev eth0p root 2>/dev/null
ip netns exec "$ns" tc qdisc del dev eth0 root 2>/dev/null

# 4. ENOSPC: the scratch tree on a tiny tmpfs runs full half-way
d=$(fresh p4 1024)
node "$vsc" apply "$work/a.vsc" --cgroup-mount "$d/cg" --netns "$ns" --auto-approve >/dev/null 2>&1
free=$(stat -f -c '%a' "$d"); dd if=/dev/zero of="$d/filler" bs=4096 count=$((free - 4)) status=none
run enospc-cgroup-tree apply "$work/b.vsc" --cgroup-mount "$d/cg" --netns "$ns" --auto-approve
echo "    vsc/a/cpu.weight now: $(cat "$d/cg/vsc/a/cpu.weight"); cgroups: $(find "$d/cg/vsc" -mindepth 1 -maxdepth 1 -type d -printf '%f ')"
rm -f "$d/filler"; node "$vsc" destroy "$work/a.vsc" --cgroup-mount "$d/cg" --netns "$ns" --auto-approve >/dev/null 2>&1

# 5. EROFS: part of the tree read-only
d=$(fresh p5)
node "$vsc" apply "$work/a.vsc" --cgroup-mount "$d/cg" --netns "$ns" --auto-approve >/dev/null 2>&1
mount --bind "$d/cg/vsc/b" "$d/cg/vsc/b" && mount -o remount,bind,ro "$d/cg/vsc/b"
run erofs-cgroup-tree apply "$work/b.vsc" --cgroup-mount "$d/cg" --netns "$ns" --auto-approve
echo "    vsc/a/cpu.weight now: $(cat "$d/cg/vsc/a/cpu.weight"); cgroups: $(find "$d/cg/vsc" -mindepth 1 -maxdepth 1 -type d -printf '%f ')"
umount "$d/cg/vsc/b"; node "$vsc" destroy "$work/a.vsc" --cgroup-mount "$d/cg" --netns "$ns" --auto-approve >/dev/null 2>&1

# 6. read-only state directory
d=$(fresh p6); mkdir -p "$work/rostate"; mount --bind "$work/rostate" "$work/rostate" && mount -o remount,bind,ro "$work/rostate"
STATE=$work/rostate run erofs-state-dir apply "$work/a.vsc" --cgroup-mount "$d/cg" --netns "$ns" --auto-approve
echo "    cgroups: $(find "$d/cg" -mindepth 1 -maxdepth 1 -printf '%f ')"

# 7. full state directory
d=$(fresh p7); s=$(fresh s7 64); free=$(stat -f -c '%a' "$s"); dd if=/dev/zero of="$s/filler" bs=4096 count="$free" status=none 2>/dev/null
STATE=$s/state run enospc-state-dir apply "$work/a.vsc" --cgroup-mount "$d/cg" --netns "$ns" --auto-approve
echo "    state dir: $(find "$s/state" -mindepth 1 -maxdepth 1 -printf '%f (%s bytes) ' 2>/dev/null)"

# 8. scratch: a cgroup left half-made by kill -9 between its mkdir and its files
d=$(fresh p8)
node "$vsc" apply "$work/a.vsc" --cgroup-mount "$d/cg" --netns "$ns" --auto-approve >/dev/null 2>&1
mkdir "$d/cg/vsc/c"
run half-made-cgroup apply "$work/b.vsc" --cgroup-mount "$d/cg" --netns "$ns" --auto-approve
run half-made-cgroup-again apply "$work/b.vsc" --cgroup-mount "$d/cg" --netns "$ns" --auto-approve
ip netns exec "$ns" nft delete table inet vsc 2>/dev/null; ip netns exec "$ns" tc qdisc del dev eth0 root 2>/dev/null

# 9. scratch: a symlink planted where an interface file is
d=$(fresh p9)
node "$vsc" apply "$work/a.vsc" --cgroup-mount "$d/cg" --netns "$ns" --auto-approve >/dev/null 2>&1
echo victim >"$work/victim"; rm "$d/cg/vsc/a/cpu.weight"; ln -s "$work/victim" "$d/cg/vsc/a/cpu.weight"
run symlink-in-tree apply "$work/b.vsc" --cgroup-mount "$d/cg" --netns "$ns" --auto-approve
echo "    victim now: $(cat "$work/victim")"
ip netns exec "$ns" nft delete table inet vsc 2>/dev/null; ip netns exec "$ns" tc qdisc del dev eth0 root 2>/dev/null
