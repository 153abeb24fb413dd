#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The worker program of `sum_and_concat.py --worker-program`.

An explicit worker program defines the worker classes, here by importing the
module that has them, and serves. The pool starts it as
`[sys.executable, '.../worker.py']`; it is not meant to be run by hand.
"""

import sys

import sum_and_concat  # noqa: F401  (defines ExampleAddInt and ExampleConcatStr)

from gi.repository import Mpaio

Mpaio.serve_if_worker()
sys.exit('worker.py serves the pool of sum_and_concat.py --worker-program; '
         'run that script instead')
