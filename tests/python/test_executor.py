#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Only Mpaio's executors implement Mpaio.Executor: a Python class that
lists it among its interfaces gets clear errors, never a crash."""

import unittest

import testworkers as tw
from testworkers import GLib, GObject, Mpaio

Mpaio.serve_if_worker()


class PyExecutor(GObject.Object, Mpaio.Executor):
    __gtype_name__ = 'MpaioTestPyExecutor'

    max_workers = GObject.Property(type=GObject.TYPE_UINT, default=1, minimum=1,
                                   nick='max-workers')


class TestPythonExecutor(unittest.TestCase):

    def assertRefused(self, context):
        error = context.exception
        self.assertTrue(error.matches(Mpaio.error_quark(), Mpaio.Error.FAILED),
                        f'{error.domain} {error.code}: {error.message}')
        self.assertIn('MpaioTestPyExecutor', error.message)
        self.assertIn("only Mpaio's own executors can implement it", error.message)

    def test_run_fails_with_a_clear_error(self):
        orchestrator = Mpaio.Orchestrator.new(PyExecutor())
        orchestrator.add(tw.Sum(), tw.first_chunk_iterator())

        with self.assertRaises(GLib.Error) as context:
            orchestrator.run()

        self.assertRefused(context)
        self.assertFalse(orchestrator.props.running)

    def test_shutdown_fails_with_a_clear_error(self):
        with self.assertRaises(GLib.Error) as context:
            PyExecutor().shutdown()

        self.assertRefused(context)

    def test_max_workers_is_one(self):
        # A critical warning says why; the process goes on.
        self.assertEqual(PyExecutor().get_max_workers(), 1)

    def test_default_is_one_worker_per_processor(self):
        # Made with g_object_new() and no properties, as PyGObject does.
        for pool in (Mpaio.ProcessPool(), Mpaio.ThreadPool()):
            with self.subTest(pool=type(pool).__name__):
                self.assertEqual(pool.get_max_workers(), GLib.get_num_processors())
                self.assertEqual(pool.props.max_workers, GLib.get_num_processors())

    def test_mpaio_executors_still_work(self):
        with Mpaio.ThreadPool.new(2) as pool:
            self.assertEqual(pool.get_max_workers(), 2)


if __name__ == '__main__':
    unittest.main()
