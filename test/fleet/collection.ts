/**
 * The vsc.fleet collection for a test's ansible-playbook: a link to the
 * repository's ansible/ in the layout ANSIBLE_COLLECTIONS_PATH expects
 * (ansible_collections/vsc/fleet), which costs nothing; test/fleet/ansible.test.ts
 * installs it with `ansible-galaxy collection install` as an operator does.
 */
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";

/** Makes DIR/collections/ansible_collections/vsc/fleet; returns DIR/collections. */
export function linkCollection(dir: string): string {
  const base = join(dir, "collections", "ansible_collections", "vsc");
  mkdirSync(base, { recursive: true });
  symlinkSync(join(packageRoot(), "ansible"), join(base, "fleet"));
  return join(dir, "collections");
}
