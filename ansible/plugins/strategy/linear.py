# -*- coding: utf-8 -*-
# vsc.fleet.linear: Ansible's linear strategy without its busy-wait for a
# free fork.
#
# When every fork is busy, the stock strategy's _queue_task loops over the
# workers calling is_alive() with a 0.1 ms sleep in between until one has
# exited (ansible-core 2.14, plugins/strategy/__init__.py). That loop is
# most of the controller's CPU in a play whose tasks take a while on the
# nodes: its cost grows with the time a task runs there, not with anything
# the task does on the controller. Profiled over 20 hosts and 5 forks (a
# cProfile of ansible-playbook, 2026-12-06): 327,725 is_alive() calls for
# vsc.fleet.host against 74,545 for `command: /bin/true`, and the main
# process's CPU 6.0 s against 2.9 s.
#
# The same holds, at a 1 ms interval (DEFAULT_INTERNAL_POLL_INTERVAL), for
# the wait for the last results of a task (_wait_on_pending_results), each
# pass of which builds a Templar.
#
# Here the main process blocks instead, in multiprocessing.connection.wait()
# on the workers' process sentinels (a descriptor each that becomes
# readable when the process ends), until one of them has ended; then the
# stock code runs as written (_queue_task finds that worker free at once).
# A worker sends its result before it exits, so the result is there when
# the wait returns (the results thread keeps reading them meanwhile); the
# wait also returns after RESULT_WAIT_SECONDS at most. Once no worker is
# running, the stock interval applies. Nothing else changes: ordering,
# throttle, serial, max_fail_percentage and the results are the stock
# strategy's own. bench/fleet-ansible.sh measures both strategies: 30 hosts,
# 5 forks (2026-12-06, a loaded 2-core VM), the module against `command:
# /bin/true` in controller CPU per host: stock linear 508 vs 298 ms (1.70x),
# this strategy 266 vs 228 ms (1.16x).
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: linear
short_description: The linear strategy, waiting for a free fork without busy-waiting
description:
  - Exactly Ansible's C(linear) strategy, except that when every fork is busy the
    controller blocks on the workers' process sentinels until one ends, instead of
    polling them every 0.1 ms. The controller's CPU then no longer grows with the
    time tasks take on the nodes.
  - Use it with C(strategy: vsc.fleet.linear) in a play, or C(ANSIBLE_STRATEGY=vsc.fleet.linear).
version_added: "0.1.0"
author:
  - vsc developers
"""

import time
from multiprocessing.connection import wait

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.plugins.strategy.linear import StrategyModule as LinearStrategyModule

# Wake at least this often while waiting for a free fork: a terminated run
# (Ctrl-C) is noticed by the stock loop after the wait returns.
WAIT_SECONDS = 1.0
# The longest a result can wait to be processed: one that comes in while
# other workers still run is seen when one of them ends or after this.
RESULT_WAIT_SECONDS = 0.05


class StrategyModule(LinearStrategyModule):
    def _queue_task(self, host, task, task_vars, play_context):
        self._wait_for_free_worker()
        return super(StrategyModule, self)._queue_task(host, task, task_vars, play_context)

    def _wait_for_free_worker(self):
        """Return once some worker slot is empty or its process has ended."""
        while not self._tqm._terminated:
            sentinels = []
            for w in self._workers:
                if w is None or not w.is_alive():
                    return
                try:
                    sentinels.append(w.sentinel)
                except (AttributeError, ValueError):
                    return  # not started or already closed: let the stock loop decide
            wait(sentinels, WAIT_SECONDS)

    def _running_sentinels(self):
        out = []
        for w in self._workers:
            if w is not None and w.is_alive():
                try:
                    out.append(w.sentinel)
                except (AttributeError, ValueError):
                    pass
        return out

    def _wait_on_pending_results(self, iterator):
        """The stock loop, with a wait on the running workers instead of its 1 ms sleep."""
        ret_results = []
        while self._pending_results > 0 and not self._tqm._terminated:
            if self._tqm.has_dead_workers():
                raise AnsibleError("A worker was found in a dead state")
            ret_results.extend(self._process_pending_results(iterator))
            if self._pending_results > 0:
                running = self._running_sentinels()
                if running:
                    wait(running, RESULT_WAIT_SECONDS)
                else:
                    time.sleep(C.DEFAULT_INTERNAL_POLL_INTERVAL)
        return ret_results
