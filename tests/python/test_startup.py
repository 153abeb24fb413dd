#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A script that forgets Mpaio.serve_if_worker() fails with the advice,
instead of starting processes without end."""

import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADVICE = 'call mpaio_serve_if_worker() (Python: Mpaio.serve_if_worker()'


class TestForgottenServe(unittest.TestCase):

    def test_forgotten_serve_if_worker(self):
        with tempfile.TemporaryDirectory() as directory:
            log = Path(directory, 'pids')
            log.touch()
            process = subprocess.run(
                [sys.executable, str(HERE / 'forgetful_program.py')],
                capture_output=True, text=True, timeout=120, check=False,
                env=dict(os.environ, MPAIO_TEST_PID_LOG=str(log)))
            n_processes = len(log.read_text().splitlines())

        self.assertEqual(process.returncode, 0, process.stderr)
        self.assertTrue(process.stdout.startswith('error: mpaio-error-quark '), process.stdout)
        self.assertIn('ran the program again instead of serving', process.stdout)
        self.assertIn(ADVICE, process.stdout)
        # The script and its two workers, which started nothing.
        self.assertLessEqual(n_processes, 3)


if __name__ == '__main__':
    unittest.main()
