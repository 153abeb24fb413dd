#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""An explicit worker program: defines the test workers and serves.

Pools made with Mpaio.ProcessPool.new_for_argv([sys.executable, this file])
run it; it is not meant to be run by hand.
"""

import sys

import testworkers  # noqa: F401  (defines the worker classes)

from gi.repository import Mpaio

Mpaio.serve_if_worker()
sys.exit('worker_program.py is started by an Mpaio.ProcessPool, not by hand')
