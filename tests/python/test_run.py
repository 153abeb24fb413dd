#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs from Python: results, progress, cancellation, interruption, callback
exceptions, properties and pool reuse, on pools that re-run this script."""

import unittest
from unittest import mock

import testworkers as tw
from testworkers import GLib, Mpaio

from gi.repository import Gio

Mpaio.serve_if_worker()

N_INTS = 1_000_000
SUM = N_INTS * (N_INTS + 1) // 2


class TestRun(tw.TestCase):

    def test_sum_and_concat_at_once(self):
        # The seed's example, small: two arrays, two workers, one run.
        strings = tw.strings(100)
        add = tw.Sum()
        concat = tw.Concat()

        orchestrator = self.run_workers(
            (add, tw.int_iterator(N_INTS, N_INTS // tw.N_WORKERS)),
            (concat, Mpaio.DataIterator.new_for_dtype(
                Mpaio.SharedMemory.new_from_array(strings), strings.dtype, len(strings), 20)))

        self.assertEqual(add.total, SUM)
        self.assertEqual(concat.text, ''.join(f'foo_{i}' for i in range(100)))
        self.assertEqual(orchestrator.get_n_chunks_total(), tw.N_WORKERS + 5)
        self.assertEqual(orchestrator.get_n_chunks_done(), tw.N_WORKERS + 5)
        self.assertFalse(orchestrator.is_running())

    def test_pool_keeps_its_workers_across_runs(self):
        pids = tw.start_worker_processes(self.pool)

        for _ in range(3):
            add = tw.Sum()
            self.run_workers((add, tw.int_iterator(1000, 10)))
            self.assertEqual(add.total, 500500)

        self.assertEqual(sorted(self.pool.dup_worker_pids()), pids)

    def test_run_async_on_a_main_loop(self):
        add = tw.Sum()
        orchestrator = Mpaio.Orchestrator.new(self.pool)
        orchestrator.add(add, tw.int_iterator(1000, 100))
        loop = GLib.MainLoop()
        outcome = []

        def on_done(source, result, tag):
            try:
                outcome.append((source, source.run_finish(result), tag))
            finally:
                loop.quit()

        orchestrator.run_async(None, on_done, 'tag')
        loop.run()

        self.assertEqual(outcome, [(orchestrator, True, 'tag')])
        self.assertEqual(add.total, 500500)

    def test_cancel_mid_run_then_run_again(self):
        with tw.stalling_pool() as pool:
            orchestrator = Mpaio.Orchestrator.new(pool)
            stalling = tw.Sum(stall_from_chunk=1)
            orchestrator.add(stalling, tw.int_iterator(N_INTS, 1000))
            cancellable = Gio.Cancellable()
            stalling.on_result = lambda chunk_index: cancellable.cancel()

            with self.assertRaises(GLib.Error) as context:
                orchestrator.run(cancellable)

            self.assertTrue(context.exception.matches(Gio.io_error_quark(),
                                                      Gio.IOErrorEnum.CANCELLED))
            self.assertEqual(stalling.n_results, 1)
            self.assertEqual(orchestrator.get_n_chunks_done(), 1)
            self.assertFalse(orchestrator.is_running())

            # The same pool, its stuck workers replaced, runs again.
            add = tw.Sum()
            orchestrator = Mpaio.Orchestrator.new(pool)
            orchestrator.add(add, tw.int_iterator(N_INTS, 1000))
            orchestrator.run()
            self.assertEqual(add.total, SUM)

    def test_cancelled_before_it_starts(self):
        add = tw.Sum()
        cancellable = Gio.Cancellable()
        cancellable.cancel()

        with self.assertRaises(GLib.Error) as context:
            self.run_workers((add, tw.int_iterator(1000, 10)), cancellable=cancellable)

        self.assertTrue(context.exception.matches(Gio.io_error_quark(),
                                                  Gio.IOErrorEnum.CANCELLED))
        self.assertEqual(add.n_results, 0)

    def test_callback_exception_is_raised_by_run(self):
        add = tw.Sum()
        orchestrator = Mpaio.Orchestrator.new(self.pool)
        orchestrator.add(add, tw.int_iterator(N_INTS, 1000))

        def fail(chunk_index):
            raise KeyError(chunk_index)

        add.on_result = fail
        with self.assertRaises(KeyError):
            orchestrator.run()

        # Results batched with the failing one are not delivered.
        self.assertEqual(add.n_results, 1)
        self.assertFalse(orchestrator.is_running())

        add.total = 0
        add.on_result = None
        orchestrator.run()
        self.assertEqual(add.total, SUM)

    def test_callback_exception_stops_the_run(self):
        # The other chunks never complete: only the exception ends the run.
        with tw.stalling_pool() as pool:
            stalling = tw.Sum(stall_from_chunk=1)
            orchestrator = Mpaio.Orchestrator.new(pool)
            orchestrator.add(stalling, tw.int_iterator(N_INTS, 1000))
            stalling.on_result = lambda chunk_index: {}[chunk_index]

            with self.assertRaises(KeyError):
                orchestrator.run()

            self.assertEqual(orchestrator.get_n_chunks_done(), 1)

    def test_callback_exception_is_raised_by_run_finish(self):
        add = tw.Sum()
        orchestrator = Mpaio.Orchestrator.new(self.pool)
        orchestrator.add(add, tw.int_iterator(1000, 10))
        add.on_result = lambda chunk_index: 1 / 0

        raised = tw.finish_on_main_loop(lambda on_done: orchestrator.run_async(None, on_done),
                                        lambda source, result: source.run_finish(result))

        self.assertIsInstance(raised, ZeroDivisionError)

    def test_user_cancellable_is_left_alone(self):
        # A callback exception cancels the run, not the caller's cancellable.
        add = tw.Sum()
        cancellable = Gio.Cancellable()
        add.on_result = lambda chunk_index: 1 / 0

        with self.assertRaises(ZeroDivisionError):
            self.run_workers((add, tw.int_iterator(1000, 10)), cancellable=cancellable)

        self.assertFalse(cancellable.is_cancelled())

    def test_keyboard_interrupt_cancels_the_run(self):
        iteration = GLib.MainContext.iteration
        calls = []

        def interrupted_once(context, may_block=True):
            calls.append(may_block)
            if len(calls) == 1:
                raise KeyboardInterrupt
            return iteration(context, may_block)

        with tw.stalling_pool() as pool:
            orchestrator = Mpaio.Orchestrator.new(pool)
            orchestrator.add(tw.Sum(stall_from_chunk=0), tw.int_iterator(N_INTS, 1000))

            with mock.patch.object(GLib.MainContext, 'iteration', interrupted_once):
                with self.assertRaises(KeyboardInterrupt):
                    orchestrator.run()

            self.assertFalse(orchestrator.is_running())
            self.assertEqual(orchestrator.get_n_chunks_done(), 0)

            add = tw.Sum()
            orchestrator = Mpaio.Orchestrator.new(pool)
            orchestrator.add(add, tw.int_iterator(N_INTS, 1000))
            orchestrator.run()
            self.assertEqual(add.total, SUM)

    def test_properties_cross_plain_attributes_do_not(self):
        worker = tw.Properties(number=-7, big=2**40, ratio=0.25, flag=True,
                               text='héllo', words=['a', 'b'],
                               blob=GLib.Bytes.new(b'\x00\xff'),
                               value=GLib.Variant('(is)', (1, 'x')))
        worker.plain = 'set in the caller'

        self.run_workers((worker, tw.first_chunk_iterator()))

        self.assertEqual(worker.seen, {
            'number': -7, 'big': 2**40, 'ratio': 0.25, 'flag': True,
            'text': 'héllo', 'words': ['a', 'b'], 'blob': [0, 255],
            'value': (1, 'x'), 'plain': 'class default',
        })


class TestShutdown(unittest.TestCase):

    def test_pool_as_context_manager_shuts_down(self):
        with Mpaio.ProcessPool.new(tw.N_WORKERS) as pool:
            pids = tw.start_worker_processes(pool)
            self.assertEqual(len(pids), tw.N_WORKERS)

        self.assertEqual(pool.get_n_workers(), 0)
        orchestrator = Mpaio.Orchestrator.new(pool)
        orchestrator.add(tw.Sum(), tw.first_chunk_iterator())
        with self.assertRaises(GLib.Error) as context:
            orchestrator.run()
        self.assertTrue(context.exception.matches(Mpaio.error_quark(), Mpaio.Error.CLOSED))


if __name__ == '__main__':
    unittest.main()
