import type { CodeTable } from "./types.js";

/** VSC2010-VSC2999 names and references; owned by the checker (src/check). */
export const namesCodes: CodeTable = {
  VSC2010: {
    title: "duplicate name",
    explain:
      "Classes, contexts and templates share one name space: each name is declared once.\n\n" +
      "    class web { ... }\n    context web { ... }         # error: web is already a class\n\n" +
      "Rename one of them. Defines have their own name space (VSC2011).",
  },
  VSC2011: {
    title: "duplicate define",
    explain:
      "A `define` name is defined twice.\n\n    define net = 10.0.0.0/8\n    define net = 10.1.0.0/16   # error\n\n" +
      "Rename or remove one of them.",
  },
  VSC2012: {
    title: "no host",
    explain:
      "A program (the entry file and everything it includes) describes one host; none was found. " +
      "Admission needs its capacity.\n\n    host node1 { cpus 2  memory 8GiB }\n\nAdd a host block.",
  },
  VSC2013: {
    title: "host declared twice",
    explain:
      "A file set may describe many hosts (a fleet, docs/fleet.md), each under its own name; two `host` " +
      "blocks with the same name were found (perhaps through an include).\n\n" +
      "    host pl1 { cpus 8  memory 32GiB }\n    host pl1 { cpus 4  memory 16GiB }   # error\n\n" +
      "Rename one of them, or merge them.",
  },
  VSC2090: {
    title: "unknown host or group",
    explain:
      "`on NAME, ...` places a class or context on hosts: each name must be a `host` or a `group` of " +
      "the file set.\n\n    group princeton = pl1, pl2\n    context codeen on princton { id 601 }   # error\n\n" +
      "Fix the name, or declare the host or group. Without `on`, a class or context is on every host " +
      "(a context inside a class: on its class's hosts).",
  },
  VSC2091: {
    title: "host and group names clash",
    explain:
      "Hosts and groups share one name space, so that `on NAME` means one thing: a group may not be " +
      "named like a host or another group.\n\n    host pl1 { ... }\n    group pl1 = pl1   # error\n\nRename the group.",
  },
  VSC2092: {
    title: "unknown group member",
    explain:
      "`group NAME = MEMBER, ...`: each member is a host, or a group declared before this one.\n\n" +
      "    group princeton = pl1, pl7   # error: no host pl7\n\nFix the name or declare the host.",
  },
  VSC2094: {
    title: "template used by the wrong kind of declaration",
    explain:
      "A template may hold a host's settings (`cpus`, `memory SIZE`, `link NAME rate R`, `disk`, " +
      "`keep`, `overbook`, `cgroup-root`) and a context's blocks. A host uses only the first kind and a " +
      "class or context only the second, so a host that uses a template with context blocks, or a " +
      "context that uses one with host settings, is an error.\n\n" +
      "    template node-8core { cpus 8  memory 32GiB }\n    context web { use node-8core }   # error\n\n" +
      "Split the template in two: one for hosts, one for contexts.",
  },
  VSC2014: {
    title: "unknown template",
    explain:
      '`use NAME` names no template.\n\n    context web { use smal }     # error: did you mean "small"?\n\n' +
      "Fix the name or declare `template NAME { ... }`.",
  },
  VSC2015: {
    title: "unknown class",
    explain:
      "`in NAME` names no class.\n\n    context web in web-teir { ... }   # error\n\n" +
      "Fix the name or declare `class NAME { ... }`. Without `in`, a node sits at the root.",
  },
  VSC2016: {
    title: "name of the wrong kind",
    explain:
      "A name refers to a declaration of the wrong kind: `in` must name a class (contexts are leaves " +
      "and templates are not nodes), and `use` must name a template.\n\n" +
      "    context db { ... }\n    context replica in db { ... }   # error: db is a context\n\n" +
      "Declare a class to group contexts, or move shared fields into a template.",
  },
  VSC2017: {
    title: "class placed in itself",
    explain:
      "A class's `in` chain comes back to itself: `class a in a`, or `class a in b` with `class b in a`. " +
      "The hierarchy must be a tree. Place one of the classes at the root or under another class.",
  },
  VSC2018: {
    title: "template uses itself",
    explain:
      "Templates may use other templates, but not in a loop:\n\n" +
      "    template a { use b }\n    template b { use a }        # error\n\nRemove one of the `use` lines.",
  },
  VSC2019: {
    title: "unknown define",
    explain:
      "`$NAME` refers to no `define`.\n\n    allow out tcp to $db port 5432   # error without `define db = ...`\n\n" +
      "Add `define NAME = VALUE` at the top level (of any included file) or fix the name.",
  },
  VSC2020: {
    title: "define of the wrong type",
    explain:
      "A `$NAME` is used where its value does not fit, for example a port where an address belongs:\n\n" +
      "    define db_port = 5432\n    net { address $db_port }     # error: expects an address\n\n" +
      "The message names what the position expects and what the define holds; use another define.",
  },
  VSC2021: {
    title: "define refers to itself",
    explain:
      "Defines may refer to other defines, but not in a loop: `define a = $b` with `define b = $a`. " +
      "Give one of them a literal value.",
  },
  VSC2034: {
    title: "classes nested too deep",
    explain:
      "Classes and contexts may nest at most 32 levels (`class b in a`, `class c in b`, ...). Every " +
      "level is a cgroup, an HTB class and an nft `socket cgroupv2 level`, and real hierarchies are a " +
      "few levels deep; a chain of thousands is a generated file gone wrong or hostile input, and is " +
      "refused at the first node past the limit. Flatten the hierarchy.",
  },
  VSC2035: {
    title: "defines nested too deep",
    explain:
      "A define may refer to another define (`define b = $a`), at most 64 deep. Past that the " +
      "reference is refused: give a define in the chain a literal value.",
  },
  VSC2022: {
    title: "unknown field",
    explain:
      "A block does not take this field; usually a misspelling, and the message suggests the closest one.\n\n" +
      '    memory { limmit 1GiB }       # error: did you mean "limit"?\n\n' +
      "Also reported for unknown rlimit names, and for statements outside the block they belong to " +
      "(`allow` goes inside `net`).",
  },
  VSC2023: {
    title: "unknown block",
    explain:
      "A `NAME { ... }` block that does not exist here. Classes, contexts and templates take the " +
      "blocks cpu, memory, pids, io, net, rlimit and security; net takes `link NAME { }` and io takes " +
      '`device NAME { }`; the host takes no blocks.\n\n    cpux { share 2 }             # error: did you mean "cpu"?',
  },
  VSC2024: {
    title: "field set twice",
    explain:
      "The same field is written twice in one declaration (also across two `cpu { }` blocks of the same " +
      "context), or a host disk or link is declared twice. Keep one. (A field written in a context " +
      "that also comes from a template is not an error: the context's own value wins.)",
  },
  VSC2025: {
    title: "ANON memory limit not expressible",
    explain:
      "The paper's VServer had a limit on anonymous memory (ANON). cgroup v2 charges anonymous and " +
      "page-cache memory together and has no separate knob, so vsc cannot honour it.\n\n" +
      "    memory { anon 1GiB }         # error\n    memory { limit 1GiB  swap 0 }   # closest equivalent\n\n" +
      "Cap all memory with `limit` (memory.max) and forbid swapping anonymous pages out with `swap 0`.",
  },
  VSC2026: {
    title: "unknown device",
    explain:
      "`io { device NAME { ... } }` names a disk the host does not declare. Declare it in the host " +
      "with its major:minor numbers (see `lsblk -o NAME,MAJ:MIN`):\n\n    host node1 { disk vda 254:0 ... }",
  },
  VSC2027: {
    title: "unknown link",
    explain:
      "`net { link NAME { ... } }` names a link the host does not declare. vsc shapes only links named " +
      "in the host, with their rate:\n\n    host node1 { link eth0 rate 1gbit ... }",
  },
  VSC2028: {
    title: "unknown capability",
    explain:
      "`security { capabilities keep|drop ... }` names a capability Linux does not have. Names are " +
      "those of capabilities(7), lower case, with or without `cap_`: `chown`, `net_bind_service`, `sys_admin`.",
  },
  VSC2029: {
    title: "unknown namespace",
    explain:
      "`security { namespaces ... }` takes cgroup, ipc, mount, net, pid, time, user and uts.",
  },
  VSC2030: {
    title: "unknown word",
    explain:
      "A keyword value is not one of those allowed here: `default deny|allow`, a protocol " +
      "(tcp, udp, icmp, icmpv6, any), `in`/`out`, `from` (with in) or `to` (with out), `keep|drop` for " +
      "capabilities, `cpu|memory` for keep and overbook, `rate` in a host link.\n\n" +
      '    default dney                 # error: did you mean "deny"?',
  },
  VSC2031: {
    title: "field only for contexts",
    explain:
      "rlimit, security, net address and cpu cores apply to processes, and in cgroup v2 only leaves " +
      "(contexts) hold processes; a class cannot take them. Put them on each context (a template keeps " +
      "them in one place).",
  },
  VSC2032: {
    title: "host capacity missing",
    explain:
      "The host must say how many cpus and how much memory it has, since admission checks " +
      "reservations against them:\n\n    host node1 { cpus 2  memory 8GiB }",
  },
  VSC2033: {
    title: "missing id",
    explain:
      "Every context needs `id N` (1..60000, unique): it names the context's tc classes and nft " +
      "marks and must stay stable across edits, so vsc does not invent it. Classes may omit their id; " +
      "one is derived from the name (60001..65279). This error also appears if more than 5279 classes " +
      "have no id and the derived range is full.",
  },
  VSC2040: {
    title: "pids limit above the kernel's maximum",
    explain:
      "`pids { limit N }` becomes pids.max, which the kernel (kernel/cgroup/pids.c) accepts from 0 to " +
      "PID_MAX_LIMIT, 4194304 on 64-bit; it refuses a larger number with EINVAL. No system can have more " +
      "processes than that, so write `max` for no limit:\n\n    pids { limit 4194305 }   # error\n" +
      "    pids { limit max }       # no limit",
  },
  VSC2041: {
    title: "cpu limit above the kernel's largest quota",
    explain:
      '`cpu { limit X }` becomes cpu.max "QUOTA 100000" (microseconds per 100 ms period). The kernel ' +
      "(kernel/sched/core.c, tg_set_cfs_bandwidth) refuses a quota above 2^44 - 1 microseconds (about " +
      "203 days), so the largest limit is 175921860444m. A limit that large limits nothing: remove it.",
  },
  VSC2042: {
    title: "cpu burst plus quota above the kernel's maximum",
    explain:
      "The kernel refuses cpu.max.burst when the quota plus the burst exceeds 2^44 - 1 microseconds " +
      "(kernel/sched/core.c, tg_set_cfs_bandwidth). Only a limit above about 88 million cpus gets there; " +
      "use a smaller burst or limit.",
  },
  VSC2043: {
    title: "io device limit outside what io.max accepts",
    explain:
      "`io { device D { read R  write W  riops N  wiops N } }` becomes an io.max line. The kernel " +
      "(block/blk-throttle.c, tg_set_limit) refuses 0 (ERANGE) and 1 (EINVAL) for every key, so the " +
      "smallest limit is 2 (bytes/s or I/Os per second); it keeps riops/wiops in an unsigned int, where " +
      "4294967295 and above mean no limit, so the largest iops limit is 4294967294. Write `max` for no limit.",
  },
  VSC2044: {
    title: "link rate below what tc can express",
    explain:
      "HTB rates travel to the kernel in whole bytes per second, so a rate below 8bit is 0: tc refuses " +
      'it ("rate" is required), and so does the kernel (net/sched/sch_htb.c, htb_change_class). ' +
      "A host link rate or a link reserve must be 0 (reserve only: no reservation) or at least 8bit.",
  },
  VSC2060: {
    title: "unknown peer name",
    explain:
      "`allow ... from context NAME` / `to class NAME` names a peer by the addresses of a context, or " +
      "of every context below a class (language-v2.md §2). No class or context of that name is declared; " +
      "the message suggests the closest name of the kind written.\n\n" +
      '    context db { net { allow in tcp from context ap port 5432 } }   # error: did you mean "app"?',
  },
  VSC2061: {
    title: "peer names a class as a context, or a context as a class",
    explain:
      "`context NAME` means one context's addresses and `class NAME` the addresses of every context " +
      "below a class; the name exists but is the other kind. Write the keyword that matches the " +
      "declaration (`class backend`, not `context backend`).",
  },
};
