/**
 * What to tell someone whose `--cgroup-mount` (or /sys/fs/cgroup) is not a
 * cgroup2 mount: where this machine's cgroup2 mount really is, and the exact
 * commands that make a directory a scratch tree (docs/applier.md, "Scratch
 * trees"), so the advice never just says "pass --cgroup-mount" again.
 */
import { readFileSync } from "node:fs";
import { shQuote } from "../emit/quote.js";
import { CONTROLLER_FILES } from "./scratch.js";

/** Mount points of every cgroup2 filesystem this process sees (/proc/self/mounts). */
export function cgroup2Mounts(mounts = "/proc/self/mounts"): string[] {
  try {
    return readFileSync(mounts, "utf8")
      .split("\n")
      .map((l) => l.split(" "))
      .filter((f) => f[2] === "cgroup2" && f[1])
      .map((f) =>
        f[1]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))),
      );
  } catch {
    return [];
  }
}

/** The shell commands that turn `dir` into an empty scratch tree (what makeScratchMount writes). */
export function scratchRecipe(dir: string): string {
  const d = (f: string) => shQuote(`${dir.replace(/\/+$/, "")}/${f}`);
  return (
    `mkdir -p ${shQuote(dir)} && touch ${d(".vsc-scratch")} ${d("cgroup.procs")} && ` +
    `echo '${Object.keys(CONTROLLER_FILES).join(" ")}' | tee ${d("cgroup.controllers")} > ${d("cgroup.subtree_control")}`
  );
}

/**
 * A cgroup2 mount that offers controllers. The "unified" cgroup2 of a hybrid
 * v1 host offers none (v1 holds them all), so it is no advice to point at it.
 */
function offersControllers(mount: string): boolean {
  try {
    return readFileSync(`${mount}/cgroup.controllers`, "utf8").trim() !== "";
  } catch {
    return false;
  }
}

/** Where the real mount is, as one sentence ("" when this machine has none that is usable). */
export function realMountHint(
  mount: string,
  mounts = cgroup2Mounts(),
  usable: (m: string) => boolean = offersControllers,
): string {
  const others = mounts.filter((m) => m !== mount && usable(m));
  if (others.length === 0) return "";
  return `this machine's cgroup2 mount is ${others.join(", ")}: pass --cgroup-mount ${shQuote(others[0]!)}${others[0] === "/sys/fs/cgroup" ? " (or leave the option out)" : ""}`;
}

/**
 * The help of "no cgroup2 at MOUNT": for the default mount, how to mount
 * cgroup2 there; for a directory of the user's, how to make it a scratch
 * tree; in both cases where this machine's real cgroup2 mount is, if any.
 */
export function notCgroup2Help(
  mount: string,
  mounts = cgroup2Mounts(),
  usable: (m: string) => boolean = offersControllers,
): string {
  const real = realMountHint(mount, mounts, usable);
  if (mount === "/sys/fs/cgroup" || mount === "/sys/fs/cgroup/") {
    return real || `mount cgroup2 there: mount -t cgroup2 none ${mount}`;
  }
  const scratch = `for a dry run on plain files, make it a scratch tree: ${scratchRecipe(mount)}`;
  return real
    ? `${real}; or, ${scratch}`
    : `${scratch}; on a real kernel, mount cgroup2 (mount -t cgroup2 none DIR) and pass --cgroup-mount DIR`;
}
