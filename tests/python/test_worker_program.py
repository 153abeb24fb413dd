#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""How a process becomes a worker: explicit worker programs, worker modules,
serve_if_worker() itself, what workers write, and the example."""

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import types
import unittest
from pathlib import Path
from unittest import mock

import testworkers as tw
from testworkers import GLib, Mpaio, numpy

Mpaio.serve_if_worker()

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent.parent / 'examples' / 'python'
FOO = ''.join(f'foo_{i}' for i in range(100))
SERVE_IF_WORKER = '''\
import gi
gi.require_version('Mpaio', '1')
from gi.repository import Mpaio
Mpaio.serve_if_worker()
print('serve_if_worker() returned')
'''


def command_line(pid):
    with open(f'/proc/{pid}/cmdline', 'rb') as cmdline:
        return [arg.decode() for arg in cmdline.read().split(b'\0')[:-1]]


def python(*args, env=None):
    """Runs this Python on args, capturing its output."""
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=120, check=False)


class TestExplicitWorkers(unittest.TestCase):

    def check_pool(self, pool):
        add = tw.Sum()
        concat = tw.Concat()
        strings = tw.strings(100)
        orchestrator = Mpaio.Orchestrator.new(pool)
        orchestrator.add(add, tw.int_iterator(100_000, 10_000))
        orchestrator.add(concat, Mpaio.DataIterator.new_for_dtype(
            Mpaio.SharedMemory.new_from_array(strings), strings.dtype, 100, 20))

        orchestrator.run()

        self.assertEqual(add.total, 5_000_050_000)
        self.assertEqual(concat.text, FOO)
        return [command_line(pid) for pid in pool.dup_worker_pids()]

    def test_worker_program(self):
        argv = [sys.executable, str(HERE / 'worker_program.py')]

        with Mpaio.ProcessPool.new_for_argv(argv, tw.N_WORKERS) as pool:
            self.assertEqual(pool.get_argv(), argv)
            command_lines = self.check_pool(pool)

        self.assertEqual(len(command_lines), tw.N_WORKERS)
        for worker_argv in command_lines:
            self.assertEqual(worker_argv[1:], argv[1:])

    def test_worker_modules(self):
        # Workers import with this process's sys.path, wherever they run.
        with tempfile.TemporaryDirectory() as elsewhere, contextlib.chdir(elsewhere):
            with Mpaio.ProcessPool.new_for_modules(['testworkers'], tw.N_WORKERS) as pool:
                command_lines = self.check_pool(pool)

        for worker_argv in command_lines:
            self.assertEqual(worker_argv[1], '-c')
            self.assertEqual(worker_argv[-1], 'testworkers')

    def test_worker_module_that_does_not_import(self):
        with Mpaio.ProcessPool.new_for_modules('no_such_module_here', 1) as pool:
            orchestrator = Mpaio.Orchestrator.new(pool)
            orchestrator.add(tw.Sum(), tw.first_chunk_iterator())

            with self.assertRaises(GLib.Error) as context:
                orchestrator.run()

        self.assertTrue(context.exception.matches(Mpaio.error_quark(),
                                                  Mpaio.Error.SPAWN_FAILED))
        self.assertIn('no_such_module_here', context.exception.message)

    def test_worker_program_run_by_hand(self):
        process = python(HERE / 'worker_program.py')

        self.assertEqual(process.returncode, 1)
        self.assertIn('started by an Mpaio.ProcessPool', process.stderr)


class TestRunAgain(unittest.TestCase):

    def test_a_program_read_from_stdin_cannot_run_again(self):
        process = subprocess.run(
            [sys.executable, '-'], input=SERVE_IF_WORKER + 'Mpaio.ProcessPool.new(1)\n',
            capture_output=True, text=True, timeout=120, check=False)

        self.assertNotEqual(process.returncode, 0)
        self.assertIn('RuntimeError: this program is a program read from standard input, '
                      'which cannot be started again', process.stderr)
        self.assertIn('Mpaio.ProcessPool.new_for_modules', process.stderr)

    def test_an_interactive_shell_cannot_run_again(self):
        with mock.patch.object(sys, 'argv', ['']):
            with self.assertRaisesRegex(RuntimeError, 'an interactive Python shell'):
                Mpaio.ProcessPool.new(1)

    def test_a_notebook_cannot_run_again(self):
        ipython = types.SimpleNamespace(get_ipython=lambda: object())

        with mock.patch.dict(sys.modules, {'IPython': ipython}):
            with self.assertRaisesRegex(RuntimeError, 'an IPython shell or Jupyter kernel'):
                Mpaio.ProcessPool.new(1)

    def test_a_script_can_run_again(self):
        pool = Mpaio.ProcessPool.new(1)

        self.assertEqual(pool.get_argv(), [])     # NULL: this program again
        self.assertEqual(pool.get_max_workers(), 1)


class TestServeIfWorker(unittest.TestCase):

    def test_returns_at_once_in_the_caller(self):
        self.assertFalse(Mpaio.is_worker_process())
        self.assertIsNone(Mpaio.serve_if_worker())

    def serve(self, fd, pass_fds=()):
        env = dict(os.environ, MPAIO_WORKER_FD=str(fd))
        return subprocess.run(
            [sys.executable, '-c', SERVE_IF_WORKER], env=env, pass_fds=pass_fds,
            capture_output=True, text=True, timeout=120, check=False)

    def test_exits_with_failure_when_the_channel_is_broken(self):
        process = self.serve(987)       # not an open fd

        self.assertEqual(process.returncode, 1)
        self.assertEqual(process.stdout, '')
        self.assertRegex(process.stderr, r'^Mpaio worker \d+: Could not write to the pool')

    def test_exits_quietly_when_the_pool_is_gone(self):
        # As when a pool shuts down while a worker is still starting.
        pool_end, worker_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pool_end.close()
        with worker_end:
            process = self.serve(worker_end.fileno(), pass_fds=[worker_end.fileno()])

        self.assertEqual(process.returncode, 0)
        self.assertEqual(process.stdout, '')
        self.assertEqual(process.stderr, '')

    def test_worker_output_is_not_lost(self):
        env = dict(os.environ)
        env.pop('PYTHONUNBUFFERED', None)       # stdout is a pipe: block-buffered
        process = python(HERE / 'chatty_program.py', 'print', env=env)

        self.assertEqual(process.returncode, 0, process.stderr)
        lines = process.stdout.splitlines()
        # Each chunk's output is out before its result (so before the run
        # ends), and what the worker prints as it exits is not lost.
        self.assertEqual(sorted(lines[:2]), ['worker says: chunk 0', 'worker says: chunk 1'])
        self.assertEqual(lines[2], 'caller says: run over')
        self.assertEqual(lines[3:], ['worker says: goodbye'])

    def test_worker_traceback_reaches_the_caller(self):
        process = python(HERE / 'chatty_program.py', 'fail')

        self.assertEqual(process.returncode, 1)
        remote, _, local = process.stderr.partition(
            'The above exception was the direct cause of the following exception:')
        self.assertRegex(remote, r'RemoteTraceback: In worker process \d+: MpaioTestChatty '
                         r'failed on chunk 0 \(elements 0 to 2\): ValueError: boom\n"""\n'
                         r'Traceback \(most recent call last\):\n')
        self.assertIn("raise ValueError('boom')", remote)
        # The override's own frame is left out of the worker's traceback.
        self.assertNotIn('gi/overrides/', remote)
        self.assertRegex(local, r'\nValueError: boom\nIn worker process \d+: MpaioTestChatty '
                         r'failed on chunk 0 \(elements 0 to 2\): ValueError: boom\n$')

    def test_workers_without_the_overrides_get_a_hint(self):
        bindings = str(Path(sys.modules['gi.overrides.Mpaio'].__file__).parent.parent.parent)
        program = ('import sys\n'
                   f'sys.path[:] = [p for p in sys.path if p != {bindings!r}]\n'
                   'import gi\n'
                   "gi.require_version('Mpaio', '1')\n"
                   'from gi.repository import Mpaio\n'
                   'sys.exit(0 if Mpaio.serve() else 1)\n')

        with Mpaio.ProcessPool.new_for_argv([sys.executable, '-c', program], 1) as pool:
            with self.assertRaises(GLib.Error) as context:
                pool.map(len, numpy.arange(4))

        self.assertTrue(context.exception.matches(Mpaio.error_quark(),
                                                  Mpaio.Error.UNKNOWN_WORKER_TYPE))
        self.assertIn("do not load Mpaio's PyGObject overrides: put "
                      f'{bindings} on their PYTHONPATH', context.exception.message)


class TestExample(unittest.TestCase):

    def check_example(self, *args):
        process = python(EXAMPLES / 'sum_and_concat.py', '--count', 1_000_000,
                         '--workers', tw.N_WORKERS, *args)

        self.assertEqual(process.returncode, 0, process.stderr)
        lines = process.stdout.splitlines()
        self.assertEqual(lines[:2], ['500000500000', FOO])
        self.assertRegex(lines[2], r'^elapsed: [0-9.]+ s with 2 workers \(7 chunks\)$')
        self.assertEqual(len(lines), 3)

    def test_example_re_runs_itself(self):
        self.check_example()

    def test_example_with_its_worker_program(self):
        self.check_example('--worker-program')


if __name__ == '__main__':
    unittest.main()
