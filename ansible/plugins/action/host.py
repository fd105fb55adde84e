# -*- coding: utf-8 -*-
# The controller side of vsc.fleet.host: makes the host's configuration on
# the controller and hands it to the module of the same name on the node.
#
# The configuration of every host comes from one `vsc compile SRC --target
# vsc -o DIR` per play (the first worker to need it runs it under a lock;
# the others read the file it wrote), so the controller's cost per host is a
# file read, not a vsc process: bench/fleet-ansible.sh measures it against a
# trivial `command` task in the same play.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fcntl
import hashlib
import os
import re
import subprocess
import tempfile
import time

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
CODE_RE = re.compile(r"error\[(VSC\d{4})\]")
MODULE_ARGS = ("state", "netns", "cgroup_mount", "state_dir", "binary", "confirm")


def _cache_dir(src, binary):
    """One directory per play process and fleet file: workers of one run share it."""
    key = hashlib.sha256(("%s\0%s" % (os.path.abspath(src), binary)).encode()).hexdigest()[:16]
    return os.path.join(
        tempfile.gettempdir(), "vsc-fleet-%d-%d-%s" % (os.getuid(), os.getppid(), key)
    )


def compile_fleet(src, binary):
    """Every host's .vsc, made once; returns (directory, error text or None)."""
    out = _cache_dir(src, binary)
    os.makedirs(out, mode=0o700, exist_ok=True)
    st = os.lstat(out)
    if not os.path.isdir(out) or os.path.islink(out) or st.st_uid != os.getuid():
        raise AnsibleError("vsc.fleet: %s is not a private directory of this user" % out)
    done = os.path.join(out, ".done")
    failed = os.path.join(out, ".error")
    with open(os.path.join(out, ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not os.path.exists(done):
                p = subprocess.run(
                    [binary, "compile", src, "--target", "vsc", "-o", os.path.join(out, "hosts")],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=dict(os.environ, NO_COLOR="1"),
                    check=False,
                )
                if p.returncode != 0:
                    with open(failed, "w") as f:
                        f.write(to_text(p.stderr) or to_text(p.stdout))
                open(done, "w").close()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    if os.path.exists(failed):
        with open(failed) as f:
            return out, f.read()
    return out, None


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("src", "host") + MODULE_ARGS)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        src = args.get("src")
        if not src:
            return dict(result, failed=True, msg="src is required: the fleet's entry .vsc file")
        host = args.get("host") or task_vars.get("inventory_hostname")
        binary = args.get("binary") or "vsc"
        if not NAME_RE.match(host or ""):
            return dict(result, failed=True, msg="host %r is not a vsc host name" % host)
        try:
            directory, err = compile_fleet(src, binary)
        except (OSError, AnsibleError) as e:
            return dict(result, failed=True, msg="vsc.fleet: cannot compile %s: %s" % (src, e))
        if err is not None:
            m = CODE_RE.search(err)
            return dict(
                result,
                failed=True,
                code=m.group(1) if m else None,
                msg="the fleet does not check (vsc compile %s):\n%s" % (src, err.strip()),
            )
        path = os.path.join(directory, "hosts", host + ".vsc")
        if not os.path.isfile(path):
            return dict(
                result,
                failed=True,
                code="VSC9030",
                msg='the fleet %s has no host "%s" (set `host:` or name the inventory host as in the fleet)'
                % (src, host),
            )
        with open(path) as f:
            content = f.read()

        module_args = dict((k, args[k]) for k in MODULE_ARGS if args.get(k) is not None)
        module_args.update(content=content, phase="apply")
        res = self._execute_module(
            module_name="vsc.fleet.host", module_args=module_args, task_vars=task_vars
        )
        confirm = args.get("confirm")
        if res.get("failed") or not confirm or self._task.check_mode or not res.get("changed"):
            return dict(result, **res)

        # wait_for_connection semantics: a fresh connection, then a ping, until it answers.
        deadline = time.time() + int(confirm)
        last = None
        while time.time() < deadline:
            try:
                self._connection.reset()
            except Exception as e:  # a connection plugin without reset
                last = e
            try:
                ping = self._execute_module(
                    module_name="ansible.builtin.ping", module_args={}, task_vars=task_vars
                )
                if ping.get("ping") == "pong":
                    last = None
                    break
                last = ping.get("msg")
            except Exception as e:
                last = e
            time.sleep(1)
        if last is not None:
            return dict(
                result,
                failed=True,
                changed=True,
                code="VSC5300",
                add=res.get("add"),
                change=res.get("change"),
                destroy=res.get("destroy"),
                msg="the node did not answer within %ss after apply: vsc reverts by itself (%s)"
                % (confirm, last),
            )
        conf = self._execute_module(
            module_name="vsc.fleet.host",
            module_args=dict(
                [(k, args[k]) for k in ("netns", "cgroup_mount", "state_dir", "binary") if args.get(k)]
                + [("phase", "confirm")]
            ),
            task_vars=task_vars,
        )
        if conf.get("failed"):
            conf.update(add=res.get("add"), change=res.get("change"), destroy=res.get("destroy"))
            return dict(result, **conf)
        res["confirmed"] = True
        return dict(result, **res)
