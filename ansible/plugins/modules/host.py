#!/usr/bin/python
# -*- coding: utf-8 -*-
# The node side of vsc.fleet.host. The action plugin of the same name runs
# first, on the controller: it makes the host's configuration there
# (`vsc compile FLEET --target vsc`) and calls this module with it as
# `content`. Here the configuration is planned against the live kernel;
# check mode stops after the plan, otherwise exactly that saved plan is
# applied. Runs with Debian's python3 and the standard library only.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: host
short_description: Plan and apply one host's vsc configuration
description:
  - Makes the host's configuration on the controller (C(vsc compile SRC --target vsc),
    one compile of the whole fleet per play), sends it to the node, plans it there
    (C(vsc plan --out)), and applies exactly that plan (C(vsc apply PLAN)).
  - In check mode it stops after the plan; C(changed) says whether the plan is empty.
    With C(--diff) the plan's text is the diff.
  - A failure returns the VSC code of the failure (for example a stale plan or a held lock).
version_added: "0.1.0"
options:
  src:
    description: The fleet's entry .vsc file on the controller.
    type: path
    required: true
  host:
    description: The host's name in the fleet. Default C(inventory_hostname).
    type: str
  state:
    description: C(present) applies the configuration; C(absent) removes all vsc owns on the node.
    type: str
    choices: [present, absent]
    default: present
  netns:
    description: Work inside this network namespace (C(vsc --netns)).
    type: str
  cgroup_mount:
    description: The node's cgroup2 mount (C(vsc --cgroup-mount)).
    type: path
  state_dir:
    description: vsc's lock and journal directory on the node (C(VSC_STATE_DIR)).
    type: path
  binary:
    description: The vsc executable, on the controller and on the node.
    type: str
    default: vsc
  confirm:
    description:
      - Apply with C(vsc apply PLAN --confirm Ns), wait until the node answers again
        (the semantics of C(wait_for_connection)) for at most this many seconds, then run
        C(vsc confirm). If the node does not answer, vsc reverts by itself.
    type: int
  content:
    description: Internal (set by the action plugin) the host's configuration text.
    type: str
  phase:
    description: Internal (set by the action plugin) C(apply) or C(confirm).
    type: str
    choices: [apply, confirm]
    default: apply
author:
  - vsc developers
"""

EXAMPLES = r"""
- name: Roll the fleet out
  vsc.fleet.host:
    src: "{{ playbook_dir }}/../fleet/fleet.vsc"

- name: Apply, and keep it only if the node still answers within 90 s
  vsc.fleet.host:
    src: fleet.vsc
    confirm: 90
"""

RETURN = r"""
add:
  description: Resources the plan adds.
  type: int
  returned: always
change:
  description: Resources the plan changes.
  type: int
  returned: always
destroy:
  description: Resources the plan destroys.
  type: int
  returned: always
plan:
  description: The plan as vsc prints it.
  type: str
  returned: always
code:
  description: The VSC code of a failure (for example VSC5035).
  type: str
  returned: failed
"""

import json
import os
import re
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

CODE_RE = re.compile(r"\b(VSC\d{4})\b")
ERROR_RE = re.compile(r"error\[(VSC\d{4})\]")


def failure_code(*texts):
    """The first error code vsc printed (error[VSCnnnn]), else any code, else None."""
    for t in texts:
        m = ERROR_RE.search(t or "")
        if m:
            return m.group(1)
    for t in texts:
        m = CODE_RE.search(t or "")
        if m:
            return m.group(1)
    return None


class Vsc(object):
    def __init__(self, module):
        self.module = module
        p = module.params
        self.binary = p["binary"]
        self.common = []
        if p.get("cgroup_mount"):
            self.common += ["--cgroup-mount", p["cgroup_mount"]]
        if p.get("netns"):
            self.common += ["--netns", p["netns"]]
        self.env = {"NO_COLOR": "1"}
        if p.get("state_dir"):
            self.env["VSC_STATE_DIR"] = p["state_dir"]

    def run(self, args, common=True):
        cmd = [self.binary] + args + (self.common if common else [])
        rc, out, err = self.module.run_command(cmd, environ_update=self.env)
        return rc, out, err

    def fail(self, what, rc, out, err, **extra):
        code = failure_code(err, out)
        msg = "%s failed (exit %d)%s: %s" % (
            what,
            rc,
            " with " + code if code else "",
            (err or out or "").strip().splitlines()[-1] if (err or out or "").strip() else "",
        )
        result = dict(extra)
        result.update(msg=msg, rc=rc, stdout=out, stderr=err)
        if code:
            result["code"] = code
        self.module.fail_json(**result)


def summary_of(plan_path):
    with open(plan_path) as f:
        plan = json.load(f)
    s = plan.get("summary") or {}
    return (
        len(plan.get("actions") or []),
        {"add": int(s.get("add", 0)), "change": int(s.get("change", 0)), "destroy": int(s.get("destroy", 0))},
    )


def present(module, vsc, work):
    p = module.params
    cfg = os.path.join(work, "host.vsc")
    plan_path = os.path.join(work, "plan.json")
    with open(os.open(cfg, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
        f.write(p["content"])
    rc, out, err = vsc.run(["plan", cfg, "--out", plan_path])
    if rc != 0:
        vsc.fail("vsc plan", rc, out, err, add=0, change=0, destroy=0, plan=out)
    n, summary = summary_of(plan_path)
    result = dict(changed=n > 0, plan=out, **summary)
    if module._diff:
        result["diff"] = {"prepared": out}
    if module.check_mode or n == 0:
        module.exit_json(**result)
    args = ["apply", plan_path]
    if p.get("confirm"):
        args += ["--confirm", "%ds" % p["confirm"]]
    rc, aout, aerr = vsc.run(args)
    if rc != 0:
        vsc.fail("vsc apply", rc, aout, aerr, **summary)
    result["apply"] = (aerr or "").strip()
    result["confirm_pending"] = bool(p.get("confirm"))
    module.exit_json(**result)


def absent(module, vsc, work):
    cfg = os.path.join(work, "host.vsc")
    with open(os.open(cfg, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
        f.write(module.params["content"])
    rc, out, err = vsc.run(["show", "--file", cfg, "--json"])
    if rc != 0:
        vsc.fail("vsc show", rc, out, err, add=0, change=0, destroy=0, plan="")
    observed = json.loads(out)
    # What destroy removes: the cgroups and vsc's nft table (tc roots go with their links' entries).
    owned = len(observed.get("cgroups") or []) + (1 if (observed.get("nft") or {}).get("present") else 0)
    result = dict(changed=owned > 0, add=0, change=0, destroy=owned, plan="")
    if module.check_mode or owned == 0:
        module.exit_json(**result)
    rc, dout, derr = vsc.run(["destroy", cfg, "--auto-approve"])
    if rc != 0:
        vsc.fail("vsc destroy", rc, dout, derr, **result)
    result["plan"] = dout
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type="path"),
            host=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            netns=dict(type="str"),
            cgroup_mount=dict(type="path"),
            state_dir=dict(type="path"),
            binary=dict(type="str", default="vsc"),
            confirm=dict(type="int"),
            content=dict(type="str"),
            phase=dict(type="str", choices=["apply", "confirm"], default="apply"),
        ),
        supports_check_mode=True,
    )
    vsc = Vsc(module)
    if module.params["phase"] == "confirm":
        rc, out, err = vsc.run(["confirm"])
        if rc != 0:
            vsc.fail("vsc confirm", rc, out, err)
        module.exit_json(changed=True, msg=(out or err).strip())
    if module.params.get("content") is None:
        module.fail_json(msg="content is missing: run vsc.fleet.host as a task (its action plugin makes it)")
    work = tempfile.mkdtemp(prefix="vsc-fleet-")
    try:
        if module.params["state"] == "absent":
            absent(module, vsc, work)
        else:
            present(module, vsc, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
