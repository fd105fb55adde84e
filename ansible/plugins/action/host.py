# -*- coding: utf-8 -*-
# The controller side of vsc.fleet.host: makes the host's configuration on
# the controller and hands it to the module of the same name on the node.
#
# The configuration of every host comes from one `vsc compile SRC --target
# vsc -o DIR` (every host's HOST.vsc from one check of the whole fleet), made
# by the first worker that needs it under a lock and read by the others, so
# the controller's cost per host is a digest and a file read, not a vsc
# process. The cache is keyed by the run (the ansible-playbook process: its
# pid and start time, so a reused pid never finds an old run's files), the
# entry file, the binary, and a sha256 of every *.vsc file in the entry's
# directory tree (paths and contents): vsc includes only *.vsc files from
# that tree (a literal include or a glob), so the digest covers every file
# the fleet can include, including one a glob would newly match. Each host's
# task computes the digest again before it reads its file: a fleet edited
# during a run is compiled again, never served stale. A compile whose files
# changed while it ran is not kept. bench/fleet-ansible.sh measures the
# controller's CPU against a trivial `command` task in the same play.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fcntl
import hashlib
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.action import ActionBase

NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
CODE_RE = re.compile(r"error\[(VSC\d{4})\]")
MODULE_ARGS = ("state", "netns", "cgroup_mount", "state_dir", "binary", "confirm")
RUN_RE = re.compile(r"^run-(\d+)-(\d+)-[0-9a-f]{16}$")


def _start_time(pid):
    """The process's start time (clock ticks since boot), or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat_line = f.read()
    except (IOError, OSError):
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ")".
    fields = stat_line[stat_line.rindex(")") + 2:].split()
    return int(fields[19])


def _file_hash(path):
    """sha256 of a regular file's bytes; what it is instead when it is not one."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return "not a regular file: mode %o" % st.st_mode
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except (IOError, OSError) as e:
        return "unreadable: %s" % e


def fleet_files(src):
    """The entry file and every *.vsc file in its directory's tree: [(path, sha256)].

    vsc's loader takes an include only when its real path lies in the entry's
    directory (symlinks resolved) and ends in .vsc, so walking that real
    directory (not into symlinked ones: their targets inside it are walked
    under their own paths) reaches every file the fleet can include. .git is
    skipped (git keeps no working files there).
    """
    top = os.path.realpath(os.path.dirname(os.path.abspath(src)))
    found = []
    for d, dirs, names in os.walk(top):
        dirs[:] = [x for x in dirs if x != ".git"]
        found.extend(os.path.join(d, n) for n in names if n.endswith(".vsc"))
    return [(os.path.abspath(src), _file_hash(src))] + [(p, _file_hash(p)) for p in sorted(found)]


def fleet_digest(files):
    h = hashlib.sha256()
    for path, digest in files:
        h.update(to_bytes("%d:%s%s\n" % (len(path), path, digest)))
    return h.hexdigest()


def _private_dir(path):
    """Make (or accept) a directory only this user can use; refuse anything else."""
    try:
        os.mkdir(path, 0o700)
    except OSError:
        pass
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise AnsibleError("vsc.fleet: %s is not a private directory of this user" % path)


def _gone_runs(cache):
    """This user's cached runs whose ansible-playbook process has ended."""
    for name in os.listdir(cache):
        m = RUN_RE.match(name)
        if m and _start_time(int(m.group(1))) != int(m.group(2)):
            yield os.path.join(cache, name)


def compile_fleet(src, binary):
    """Every host's .vsc for the fleet as it is now; returns (directory, error text or None)."""
    ppid = os.getppid()
    run = "run-%d-%s-" % (ppid, _start_time(ppid))
    key = hashlib.sha256(
        to_bytes("%s\0%s\0%s" % (os.path.abspath(src), binary, fleet_digest(fleet_files(src))))
    ).hexdigest()[:16]
    cache = os.path.join(tempfile.gettempdir(), "vsc-fleet-%d" % os.getuid())
    _private_dir(cache)
    out = os.path.join(cache, run + key)
    done = os.path.join(out, ".done")
    failed = os.path.join(out, ".error")
    if not os.path.exists(done):
        with open(os.path.join(cache, ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if not os.path.exists(done):
                    for old in _gone_runs(cache):
                        shutil.rmtree(old, ignore_errors=True)
                    shutil.rmtree(out, ignore_errors=True)
                    _private_dir(out)
                    before = fleet_files(src)
                    p = subprocess.run(
                        [binary, "compile", src, "--target", "vsc", "-o", os.path.join(out, "hosts")],
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        env=dict(os.environ, NO_COLOR="1"),
                        check=False,
                    )
                    changed = sorted(set(fleet_files(src)) ^ set(before))
                    if changed:
                        raise AnsibleError(
                            "VSC9043: the fleet's files changed while vsc compiled them (%s): run the play again"
                            % ", ".join(sorted(set(path for path, _ in changed)))
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


def confirm_margin(seconds):
    """How long before vsc's deadline the wait for the node ends: time for `vsc confirm` to run."""
    return min(15, max(3, seconds // 4))


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
            m = re.search(r"\bVSC\d{4}\b", str(e))
            return dict(
                result,
                failed=True,
                code=m.group(0) if m else None,
                msg="vsc.fleet: cannot compile %s: %s" % (src, e),
            )
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
        # Before the apply starts: vsc's deadline (apply time + confirm) is later than this.
        started = time.time()
        res = self._execute_module(
            module_name="vsc.fleet.host", module_args=module_args, task_vars=task_vars
        )
        confirm = args.get("confirm")
        if res.get("failed") or not confirm or self._task.check_mode or not res.get("changed"):
            return dict(result, **res)

        # wait_for_connection semantics: a fresh connection, then a ping, until it answers;
        # but only until confirm_margin() before vsc's deadline, so that `vsc confirm` gets
        # there before the revert does: a node that answers later (or only because vsc has
        # reverted by then) is a failure, VSC9042, never a race with the watchdog.
        seconds = int(confirm)
        give_up = started + seconds - confirm_margin(seconds)
        last = None
        while True:
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
            if time.time() + 1 >= give_up:
                break
            time.sleep(1)
        if last is not None:
            return dict(
                result,
                failed=True,
                changed=True,
                code="VSC9042",
                add=res.get("add"),
                change=res.get("change"),
                destroy=res.get("destroy"),
                msg="the node did not answer within %ds after the apply began (confirm %ds less %ds for "
                "`vsc confirm` itself): vsc reverts it by itself at the deadline (%s)"
                % (seconds - confirm_margin(seconds), seconds, confirm_margin(seconds), last),
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
