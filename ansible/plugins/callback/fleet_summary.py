# -*- coding: utf-8 -*-
# One summary of a vsc fleet rollout: per host what vsc.fleet.host did
# (add/change/destroy, changed or not), failures with their VSC codes,
# unreachable hosts, and hosts the play never reached because a rolling
# batch stopped it (max_fail_percentage). Written as JSON and printed as a
# short table at the end of the run, however the run ended.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: fleet_summary
type: aggregate
short_description: One summary of a vsc fleet rollout (JSON and a table)
description:
  - Collects the results of C(vsc.fleet.host) tasks per host, failures with their VSC codes and
    unreachable hosts, and at the end writes them as JSON and prints a short table, also when a
    rolling batch stopped the play. Hosts of a play that never ran (a stopped batch) are listed as
    C(not-run), never silently left out.
requirements:
  - enable it with C(callbacks_enabled = vsc.fleet.fleet_summary)
options:
  path:
    description: Where to write the JSON summary.
    default: vsc-fleet-summary.json
    env:
      - name: VSC_FLEET_SUMMARY
    ini:
      - section: vsc_fleet
        key: summary_path
"""

import json
import os

from ansible.plugins.callback import CallbackBase
from ansible.template import Templar

MODULE_NAMES = ("vsc.fleet.host",)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "vsc.fleet.fleet_summary"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.hosts = {}
        self.play_hosts = []

    def _entry(self, name):
        return self.hosts.setdefault(
            name,
            {"host": name, "status": "not-run", "changed": False, "add": 0, "change": 0, "destroy": 0},
        )

    def v2_playbook_on_play_start(self, play):
        try:
            vm = play.get_variable_manager()
            templar = Templar(loader=play._loader, variables=vm.get_vars(play=play))
            pattern = templar.template(play.hosts)
            # Every host of the play: a serial play starts once per batch, each
            # time with the inventory restricted to that batch.
            for h in vm._inventory.get_hosts(pattern, ignore_restrictions=True):
                if h.name not in self.play_hosts:
                    self.play_hosts.append(h.name)
                self._entry(h.name)
        except Exception as e:  # an inventory this version cannot list: hosts appear as they run
            self._display.warning("vsc.fleet.fleet_summary: cannot list the play's hosts: %s" % e)

    @staticmethod
    def _is_vsc(result):
        action = result._task.action
        return action in MODULE_NAMES or action.endswith(".fleet.host")

    def _record(self, result, status):
        e = self._entry(result._host.get_name())
        r = result._result
        if status == "unreachable":
            e.update(status="unreachable", msg=r.get("msg", ""))
            return
        if not self._is_vsc(result):
            if status == "failed" and e["status"] not in ("failed", "unreachable"):
                e.update(status="failed", task=result._task.get_name(), msg=r.get("msg", ""))
            return
        for k in ("add", "change", "destroy"):
            if isinstance(r.get(k), int):
                e[k] = r[k]
        e["changed"] = bool(r.get("changed"))
        if status == "failed":
            e.update(status="failed", code=r.get("code"), msg=r.get("msg", ""))
        else:
            e["status"] = "ok"
            e.pop("code", None)

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        path = self.get_option("path") if self._plugin_options else None
        path = path or os.environ.get("VSC_FLEET_SUMMARY") or "vsc-fleet-summary.json"
        rows = [self.hosts[h] for h in sorted(self.hosts)]
        counts = {}
        for r in rows:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        counts["changed"] = sum(1 for r in rows if r["changed"])
        doc = {"hosts": rows, "totals": counts}
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)
        lines = ["", "VSC FLEET SUMMARY (%s)" % path]
        lines.append("%-24s %-12s %5s %6s %7s  %s" % ("host", "status", "add", "change", "destroy", "code"))
        for r in rows:
            lines.append(
                "%-24s %-12s %5d %6d %7d  %s"
                % (
                    r["host"],
                    r["status"] + ("*" if r["changed"] else ""),
                    r["add"],
                    r["change"],
                    r["destroy"],
                    r.get("code") or "",
                )
            )
        lines.append(
            "totals: "
            + ", ".join("%s %d" % (k, counts[k]) for k in sorted(counts))
            + "  (* changed)"
        )
        self._display.display("\n".join(lines))
