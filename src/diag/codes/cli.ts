import type { CodeTable } from "./types.js";

/** VSC9xxx: the command line itself (files, flags); owned by src/cli. */
export const cliCodes: CodeTable = {
  VSC9001: {
    title: "unknown diagnostic code",
    explain:
      "`vsc explain CODE` was given a code that is not in the catalog. Codes look like VSC4001: " +
      "VSC1xxx syntax, VSC2xxx names and references, VSC3xxx types and units, VSC4xxx policy " +
      "(admission, conflicts), VSC5xxx plan/apply/host, VSC9xxx the command line. " +
      "Run `vsc explain` without a code to list them all.",
  },
  VSC9002: {
    title: "`-o -` without --target",
    explain:
      "`vsc compile FILE -o -` writes one artifact to standard output, so it needs to know which: " +
      "add `--target cgroup`, `nft`, `tc` or `json`. To write all four, name a directory: " +
      "`vsc compile FILE -o out/`.",
  },
  VSC9003: {
    title: "cannot write artifacts",
    explain:
      "`vsc compile` could not create the output directory or write a file in it (permissions, " +
      "a file where a directory should be, a full disk). Nothing is half-written: each artifact " +
      "is written to a temporary name and renamed into place. Fix the path or choose another " +
      "with `-o DIR`.",
  },
  VSC9004: {
    title: "cannot read or write a file to format",
    explain:
      "`vsc fmt` could not read a file it was given, or could not write the formatted text back. " +
      "Check the path and its permissions.",
  },
  VSC9040: {
    title: "which pending apply?",
    explain:
      "`vsc confirm` and `vsc revert` name no file: they look for a pending apply on the cgroup mount (`--cgroup-mount`, default /sys/fs/cgroup) in the state directory. There are several (applies with --confirm on different cgroup roots), so name the one meant with `--cgroup-root NAME`.",
  },
  VSC9041: {
    title: "the pending apply was made in another network namespace",
    explain:
      "`vsc confirm`/`vsc revert --netns NAME` was given a network namespace, but the pending apply was made in another one (or in none). The revert always runs where the apply ran (the pending record says where); leave out --netns, or give the one the apply used.",
  },
  VSC9042: {
    title: "the node did not answer after an apply with confirm",
    explain:
      "Reported by the Ansible module vsc.fleet.host with `confirm: N`: it applied with " +
      "`vsc apply PLAN --confirm Ns`, then tried to reach the node again (a fresh connection and a " +
      "ping, as wait_for_connection does) until a few seconds before the deadline, leaving time for " +
      "`vsc confirm`, and the node did not answer. Nothing is confirmed: vsc on the node reverts the " +
      "apply by itself at the deadline (its watchdog; `vsc show` there says so afterwards). Find " +
      "out what in the new configuration cut the node off before rolling it out again.",
  },
  VSC9043: {
    title: "the fleet's files changed while the controller compiled them",
    explain:
      "The Ansible module vsc.fleet.host compiles the fleet once on the controller (`vsc compile " +
      "FLEET --target vsc -o DIR`) and keys what it made by a digest of every .vsc file in the " +
      "fleet's directory. A .vsc file there changed while vsc was reading them, so what it made " +
      "may belong to neither version and is not used. Run the play again once the files are " +
      "settled (keep the fleet in a directory of its own, without other .vsc files that change).",
  },
  VSC9020: {
    title: "too many errors",
    explain:
      "A file produced more than 100 diagnostics (errors and warnings together). vsc prints the " +
      "first 100 in order and this one, which counts the rest, instead of flooding the terminal: " +
      "a file with thousands of mistakes is usually not a vsc file at all (a binary, a file " +
      "generated wrong) or has one early mistake that causes the others. Fix the first ones and " +
      "run again. The exit code still counts every error. The limit applies to each entry file " +
      "and to every `--format` (in JSON this is the last element of the array).",
  },
  VSC9030: {
    title: "no such host in the file set",
    explain:
      "`--host NAME` chooses one host of a fleet (a file set with several `host` blocks) for " +
      "compile, plan, apply, destroy, show and exec. The name given is not one of the file set's " +
      "hosts (a group is not a host either). `vsc check FILE` lists problems of every host; the " +
      "hosts are the names after `host` in the files.",
  },
  VSC9031: {
    title: "several hosts: --host is needed",
    explain:
      "The file set describes more than one host (a fleet), and this command acts on one host: " +
      "say which with `--host NAME`. A file set with one host needs no --host (it may be given, " +
      "and must then name that host).",
  },
};
