/**
 * Real tool runs over generated artifacts: sh -n, shellcheck, cgroup.sh on a
 * scratch tree, nft -c against real cgroup paths, tc -batch in a scratch
 * network namespace. Shared by the emitter tests and the golden cases.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const isRoot = (): boolean => process.getuid?.() === 0;

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}) {
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    env: opts.env ?? process.env,
    input: opts.input,
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function tempFile(name: string, text: string): { path: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "vsc-emit-"));
  const path = join(dir, name);
  writeFileSync(path, text);
  return { path, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `sh -n` and `shellcheck -s sh`; returns "" when both are clean, else their output. */
export function lintShell(text: string): string {
  const f = tempFile("cgroup.sh", text);
  try {
    const n = run("sh", ["-n", f.path]);
    const sc = run("shellcheck", ["-s", "sh", "-S", "style", f.path]);
    return [
      n.status ? `sh -n: ${n.stderr}` : "",
      sc.status ? `shellcheck: ${sc.stdout}${sc.stderr}` : "",
    ]
      .filter(Boolean)
      .join("\n");
  } finally {
    f.done();
  }
}

/** Every file below dir with its content, sorted: a comparable picture of a scratch tree. */
export function snapshot(dir: string): string {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const p = rel ? `${rel}/${name}` : name;
      if (statSync(join(dir, p)).isDirectory()) {
        out.push(`${p}/`);
        walk(p);
      } else out.push(`${p} = ${JSON.stringify(readFileSync(join(dir, p), "utf8"))}`);
    }
  };
  walk("");
  return out.join("\n");
}

/**
 * Run cgroup.sh twice against a fresh scratch directory (once by argument,
 * once through $VSC_CGROUP_MOUNT) and return both snapshots and stderr.
 */
export function runCgroupTwice(text: string) {
  const f = tempFile("cgroup.sh", text);
  const mnt = mkdtempSync(join(tmpdir(), "vsc-cgroupfs-"));
  try {
    const a = run("sh", [f.path, mnt]);
    const first = snapshot(mnt);
    const b = run("sh", [f.path], { env: { ...process.env, VSC_CGROUP_MOUNT: mnt } });
    const second = snapshot(mnt);
    return { status: [a.status, b.status], stderr: [a.stderr, b.stderr], first, second, mnt };
  } finally {
    f.done();
    rmSync(mnt, { recursive: true, force: true });
  }
}

/**
 * `nft -c -f` with the named cgroup paths existing. The check runs in a
 * private mount and cgroup namespace rooted at a fresh cgroup of the host's
 * cgroup2 hierarchy, so "vsc/..." resolves inside it and never touches a
 * real vsc tree; the fresh cgroup is removed afterwards, even on failure.
 */
const NFT_CHECK = `
set -u
file=$1; shift
host=$(awk '$3=="cgroup2"{print $2; exit}' /proc/self/mounts)
[ -n "$host" ] || { echo "no cgroup2 mount" >&2; exit 2; }
orig=$(sed -n 's/^0:://p' /proc/self/cgroup)
base="$host\${orig%/}/vsc-nftcheck-$$"
mkdir "$base" || exit 2
echo $$ >"$base/cgroup.procs"
unshare -C -m sh -c 'mount -t cgroup2 none /sys/fs/cgroup && for p in "$@"; do mkdir -p "/sys/fs/cgroup/$p"; done && nft -c -f "$0"' "$file" "$@"
rc=$?
echo $$ >"$host$orig/cgroup.procs"
find "$base" -depth -type d -exec rmdir {} \\;
exit $rc
`;

export function nftCheck(text: string, cgroupPaths: string[]) {
  const f = tempFile("ruleset.nft", text);
  try {
    return run("sh", ["-c", NFT_CHECK, "nftcheck", f.path, ...cgroupPaths]);
  } finally {
    f.done();
  }
}

let netnsCount = 0;

/**
 * `tc -batch` twice (the batch must recreate its tree cleanly) inside a
 * scratch network namespace with every link as a veth. Kernels without
 * fq_codel (some CI kernels) get pfifo leaves instead, reported in `notes`.
 */
export function tcBatchTwice(text: string, devs: string[], ifbs: string[] = []) {
  const ns = `vsc-t-${process.pid}-${netnsCount++}`;
  const notes: string[] = [];
  const add = run("ip", ["netns", "add", ns]);
  if (add.status) throw new Error(`ip netns add: ${add.stderr}`);
  try {
    devs.forEach((d, i) => {
      const r = run("ip", ["-n", ns, "link", "add", d, "type", "veth", "peer", "name", `vscp${i}`]);
      if (r.status) throw new Error(`ip link add ${d}: ${r.stderr}`);
    });
    // The IFB devices vsc apply creates for ingress shaping (language-v2.md §3).
    for (const d of ifbs) {
      const r = run("ip", ["-n", ns, "link", "add", d, "type", "ifb"]);
      if (r.status) throw new Error(`ip link add ${d} type ifb: ${r.stderr}`);
    }
    let batch = text;
    // Every leaf queue vsc writes (language-v2.md §3): the ones this kernel lacks are checked as pfifo.
    for (const kind of devs.length > 0 ? ["fq_codel", "sfq", "cake"] : []) {
      if (!new RegExp(` ${kind}$`, "m").test(batch)) continue;
      const probe = run("ip", [
        "netns",
        "exec",
        ns,
        "tc",
        "qdisc",
        "add",
        "dev",
        devs[0]!,
        "root",
        kind,
      ]);
      run("ip", ["netns", "exec", ns, "tc", "qdisc", "del", "dev", devs[0]!, "root"]);
      if (probe.status) {
        batch = batch.replace(new RegExp(` ${kind}$`, "gm"), " pfifo");
        notes.push(`kernel has no ${kind}: leaves checked as pfifo`);
      }
    }
    const f = tempFile("tc.batch", batch);
    try {
      const a = run("ip", ["netns", "exec", ns, "tc", "-batch", f.path]);
      const b = run("ip", ["netns", "exec", ns, "tc", "-batch", f.path]);
      const classes = devs.map(
        (d) => run("ip", ["netns", "exec", ns, "tc", "class", "show", "dev", d]).stdout,
      );
      return { status: [a.status, b.status], stderr: [a.stderr, b.stderr], classes, notes };
    } finally {
      f.done();
    }
  } finally {
    run("ip", ["netns", "del", ns]);
  }
}
