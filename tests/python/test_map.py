#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""ProcessPool.map() and map_async(): a module-level function on each chunk
of an array, results in chunk order, from scripts, the GLib main loop and
asyncio."""

import asyncio
import subprocess
import sys
import unittest
from pathlib import Path

import testworkers as tw
from testworkers import GLib, Mpaio, numpy

from gi.repository import Gio


def describe(array):
    """A function of __main__: found by worker processes that re-run this
    script. Returns one of every kind of result map() sends back."""
    return {
        'int': int(array.sum()), 'float': float(array.mean()), 'str': f'from {array.flat[0]}',
        'bytes': array.tobytes()[:3], 'none': None, 'bool': bool(array.flat[0] == 0),
        'big': 2**70, 'array': array * 2, 'scalar': array.sum(), 'tuple': (1, 'a'),
        'list': [1.5], 'shape': array.shape,
    }


def unsupported(array):
    return {1, 2}


Mpaio.serve_if_worker()


class TestMap(tw.TestCase):

    def test_numpy_sum_of_ten_chunks(self):
        sums = self.pool.map(numpy.sum, numpy.arange(1, 10**7 + 1), chunk_size=10**6)

        self.assertEqual(sums, [sum(range(i * 10**6 + 1, (i + 1) * 10**6 + 1))
                                for i in range(10)])
        self.assertTrue(all(isinstance(s, numpy.int64) for s in sums))

    def test_numpy_ufunc(self):
        roots = self.pool.map(numpy.sqrt, numpy.array([1.0, 4.0, 9.0, 16.0]), 2)

        numpy.testing.assert_array_equal(numpy.concatenate(roots), [1, 2, 3, 4])

    def test_default_chunks_are_one_per_worker(self):
        self.assertEqual(self.pool.map(len, numpy.arange(10)), [5, 5])

    def test_function_of_main_and_every_kind_of_result(self):
        first, second = self.pool.map(describe, numpy.arange(6), chunk_size=3)

        self.assertEqual(first['int'], 3)
        self.assertEqual(first['float'], 1.0)
        self.assertEqual(second['str'], 'from 3')
        self.assertEqual(first['bytes'], numpy.arange(6).tobytes()[:3])
        self.assertIsNone(first['none'])
        self.assertIs(first['bool'], True)
        self.assertEqual(first['big'], 2**70)
        numpy.testing.assert_array_equal(second['array'], [6, 8, 10])
        self.assertEqual(second['array'].dtype, numpy.arange(6).dtype)
        self.assertEqual(type(first['scalar']), type(numpy.arange(6).sum()))
        self.assertEqual(first['tuple'], (1, 'a'))
        self.assertEqual(first['list'], [1.5])
        self.assertEqual(first['shape'], (3,))

    def test_rows_of_a_two_dimensional_array(self):
        array = numpy.arange(24, dtype=numpy.float64).reshape(4, 2, 3)

        results = self.pool.map(describe, array, chunk_size=3)

        self.assertEqual([r['shape'] for r in results], [(3, 2, 3), (1, 2, 3)])
        numpy.testing.assert_array_equal(results[1]['array'], array[3:] * 2)

    def test_shared_memory_and_dtype(self):
        memory = Mpaio.SharedMemory.new_from_array(numpy.arange(100, dtype=numpy.int32))

        self.assertEqual(self.pool.map(numpy.sum, memory, 50, dtype=numpy.int32),
                         [1225, 3725])
        with self.assertRaisesRegex(TypeError, 'dtype'):
            self.pool.map(numpy.sum, memory)

    def test_empty_array(self):
        self.assertEqual(self.pool.map(numpy.sum, numpy.arange(0)), [])

    def test_worker_exception_is_raised_with_its_remote_traceback(self):
        with self.assertRaises(ValueError) as context:
            self.pool.map(tw.fail_on_odd, numpy.arange(10), chunk_size=5)

        self.assertEqual(context.exception.args, ('odd start 5',))
        cause = context.exception.__cause__
        self.assertIsInstance(cause, Mpaio.RemoteTraceback)
        self.assertIn('MpaioPythonMap failed on chunk 1 (elements 5 to 10)', str(cause))
        self.assertIn('in fail_on_odd', cause.text)
        self.assertIn("raise ValueError(f'odd start {array[0]}')", cause.text)

    def test_functions_that_cannot_be_found_are_refused(self):
        for function in (lambda a: 0, describe.__get__(1), numpy.arange(3).sum,
                         numpy.frompyfunc(len, 1, 1)):
            with self.subTest(function=function):
                with self.assertRaisesRegex(TypeError, 'module.level'):
                    self.pool.map(function, numpy.arange(10))

    def test_result_that_cannot_be_sent(self):
        with self.assertRaisesRegex(TypeError, r'__main__.unsupported returned builtins.set, '
                                    'which map\\(\\) cannot send back'):
            self.pool.map(unsupported, numpy.arange(10))

    def test_progress_and_cancel(self):
        with tw.stalling_pool() as pool:
            cancellable = Gio.Cancellable()
            seen = []

            def progress(done, total):
                seen.append((done, total))
                cancellable.cancel()

            with self.assertRaises(GLib.Error) as context:
                pool.map(tw.stall_after_first, numpy.arange(1, 101), 10,
                         cancellable=cancellable, progress=progress)

            self.assertTrue(context.exception.matches(Gio.io_error_quark(),
                                                      Gio.IOErrorEnum.CANCELLED))
            self.assertEqual(seen, [(1, 10)])
            self.assertEqual(pool.map(numpy.sum, numpy.arange(4), 2), [1, 5])

    def test_map_async_on_a_main_loop(self):
        loop = GLib.MainLoop()
        results = []
        progress = []

        def on_done(pool, result, tag):
            results.append((tag, pool.map_finish(result)))
            loop.quit()

        self.pool.map_async(numpy.sum, numpy.arange(10), 2, None, on_done, 'tag',
                            progress=lambda done, total: progress.append((done, total)))
        loop.run()

        self.assertEqual(results, [('tag', [1, 5, 9, 13, 17])])
        self.assertEqual(sorted(progress)[-1], (5, 5))

    def test_map_async_failure_on_a_main_loop(self):
        raised = tw.finish_on_main_loop(
            lambda on_done: self.pool.map_async(tw.fail_on_odd, numpy.arange(10), 5, None,
                                                on_done),
            lambda pool, result: pool.map_finish(result))

        self.assertIsInstance(raised, ValueError)
        self.assertEqual(raised.args, ('odd start 5',))

    def test_map_async_with_asyncio(self):
        async def both():
            return await asyncio.gather(
                self.pool.map_async(numpy.sum, numpy.arange(10), 5),
                self.pool.map_async(numpy.max, numpy.arange(10), 2),
                self.pool.map_async(numpy.sum, numpy.arange(0)))

        self.assertEqual(asyncio.run(both()), [[10, 35], [1, 3, 5, 7, 9], []])

    def test_map_async_with_asyncio_raises(self):
        async def failing():
            await self.pool.map_async(tw.fail_on_odd, numpy.arange(10), 5)

        with self.assertRaises(ValueError) as context:
            asyncio.run(failing())
        self.assertIsInstance(context.exception.__cause__, Mpaio.RemoteTraceback)

    def test_map_async_with_asyncio_cancelled(self):
        with tw.stalling_pool() as pool:
            async def cancelled():
                first = asyncio.Event()
                task = asyncio.ensure_future(pool.map_async(
                    tw.stall_after_first, numpy.arange(1, 101), 10,
                    progress=lambda done, total: first.set()))
                await first.wait()
                task.cancel()
                with self.assertRaises(asyncio.CancelledError):
                    await task
                return await pool.map_async(numpy.sum, numpy.arange(4), 2)

            self.assertEqual(asyncio.run(cancelled()), [1, 5])


class TestMapInWorkerPrograms(unittest.TestCase):

    def test_function_of_a_module(self):
        with Mpaio.ProcessPool.new_for_modules(['testworkers'], 1) as pool:
            self.assertEqual(pool.map(tw.fail_on_odd, numpy.arange(4), 2), [0, 2])

    def test_function_of_main_needs_the_script_again(self):
        with Mpaio.ProcessPool.new_for_modules(['testworkers'], 1) as pool:
            with self.assertRaises(GLib.Error) as context:
                pool.map(describe, numpy.arange(4))

        self.assertIn('cannot find __main__.describe in the worker process',
                      context.exception.message)
        self.assertIn('only found when the pool re-runs the script', context.exception.message)


class TestExample(unittest.TestCase):

    def test_map_example(self):
        example = Path(__file__).resolve().parent.parent.parent / 'examples' / 'python' / 'map.py'
        process = subprocess.run([sys.executable, str(example)], capture_output=True, text=True,
                                 timeout=120, check=False)

        self.assertEqual(process.returncode, 0, process.stderr)
        self.assertEqual(process.stdout.splitlines(), [
            str([sum(range(i * 10**6 + 1, (i + 1) * 10**6 + 1)) for i in range(10)]),
            '[(2500000.5, 5000000), (7500000.5, 10000000)]',
            'ValueError: 5 values are not positive',
            'RemoteTraceback',
            'True',
            '[5000000, 10000000]',
        ])


if __name__ == '__main__':
    unittest.main()
