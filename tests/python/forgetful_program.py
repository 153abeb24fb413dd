#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A script that forgets Mpaio.serve_if_worker(): its workers run it again
and make pools of their own. Each process that runs it appends its pid to
the file named by MPAIO_TEST_PID_LOG (and gives up at the tenth, so that a
broken library fails the test instead of the machine); the first prints
"error: DOMAIN CODE MESSAGE" or "ok"."""

import os
import sys

import testworkers as tw
from testworkers import GLib, Mpaio

# No Mpaio.serve_if_worker() here: that is the point.

with open(os.environ['MPAIO_TEST_PID_LOG'], 'a+', encoding='ascii') as log:
    log.seek(0)
    if len(log.readlines()) >= 10:
        sys.exit(3)
    log.write(f'{os.getpid()}\n')

pool = Mpaio.ProcessPool.new(2)
orchestrator = Mpaio.Orchestrator.new(pool)
orchestrator.add(tw.Sum(), tw.int_iterator(1000, 10))
try:
    orchestrator.run()
    print('ok')
except GLib.Error as error:
    print(f'error: {error.domain} {error.code} {error.message}')
