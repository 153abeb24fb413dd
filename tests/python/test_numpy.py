#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""numpy: arrays into memories, memories attached by name, and chunks as
zero-copy read-only views in the workers."""

import sys
import tracemalloc
import unittest
from unittest import mock
from multiprocessing import shared_memory

import numpy

import testworkers as tw
from testworkers import GLib, Mpaio

Mpaio.serve_if_worker()


def address(array):
    return array.__array_interface__['data'][0]


class TestNewFromArray(unittest.TestCase):

    def test_values_are_copied_and_sealed(self):
        values = numpy.arange(1000, dtype=numpy.int64)

        memory = Mpaio.SharedMemory.new_from_array(values)

        self.assertTrue(memory.is_sealed())
        self.assertFalse(memory.is_writable())
        self.assertEqual(memory.get_size(), values.nbytes)
        numpy.testing.assert_array_equal(memory.as_array(numpy.int64), values)
        self.assertFalse(numpy.shares_memory(memory.as_array(numpy.int64), values))

    def test_strings(self):
        for strings in (tw.strings(100), tw.strings(100).astype('S8')):
            memory = Mpaio.SharedMemory.new_from_array(strings)

            numpy.testing.assert_array_equal(memory.as_array(strings.dtype), strings)

    def test_arrays_are_flattened_in_c_order(self):
        matrix = numpy.arange(12, dtype=numpy.float64).reshape(3, 4)

        for array in (matrix, matrix.T, matrix[:, ::2]):
            memory = Mpaio.SharedMemory.new_from_array(array)

            numpy.testing.assert_array_equal(memory.as_array(numpy.float64), array.ravel())

    def test_contiguous_array_is_written_without_a_copy(self):
        values = numpy.ones(8 * 1024 * 1024, dtype=numpy.int64)     # 64 MiB

        tracemalloc.start()
        try:
            memory = Mpaio.SharedMemory.new_from_array(values)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

        self.assertLess(peak, values.nbytes // 64)
        self.assertEqual(int(memory.as_array(numpy.int64).sum()), len(values))

    def test_python_objects_are_refused(self):
        with self.assertRaises(TypeError):
            Mpaio.SharedMemory.new_from_array(numpy.array([object()]))

    def test_empty_array_is_refused(self):
        with self.assertRaises(GLib.Error) as context:
            Mpaio.SharedMemory.new_from_array(numpy.array([], dtype=numpy.int64))

        self.assertTrue(context.exception.matches(Mpaio.error_quark(),
                                                  Mpaio.Error.OUT_OF_RANGE))


class TestMemoryAsArray(unittest.TestCase):

    def test_view_is_read_only_and_mapped_once(self):
        memory = tw.int_memory(100)

        first = memory.as_array(numpy.int64)
        second = memory.as_array(numpy.int32, count=4, offset=8)

        self.assertFalse(first.flags.writeable)
        self.assertEqual(address(second), address(first) + 8)
        numpy.testing.assert_array_equal(second, [2, 0, 3, 0])


class TestClose(unittest.TestCase):

    def test_close_releases_the_mapping(self):
        memory = tw.int_memory(100)
        self.assertEqual(memory.as_array(numpy.int64)[-1], 100)

        memory.close()
        memory.close()      # twice is fine

        with self.assertRaisesRegex(ValueError, 'closed'):
            memory.as_array()

    def test_close_refuses_while_a_view_is_alive(self):
        memory = tw.int_memory(100)
        view = memory.as_array(numpy.int64)

        with self.assertRaises(BufferError):
            memory.close()
        del view
        memory.close()

    def test_context_manager_closes(self):
        with tw.int_memory(100) as memory:
            self.assertEqual(int(memory.as_array(numpy.int64).sum()), 5050)

        with self.assertRaisesRegex(ValueError, 'closed'):
            memory.as_array()

    def test_a_closed_memory_still_runs(self):
        # Closing releases this process's view; the memory lives on in the
        # iterator that holds it.
        with tw.int_memory(1000) as memory:
            iterator = Mpaio.DataIterator.new_for_dtype(memory, numpy.int64, 1000, 100)
        add = tw.Sum()
        with Mpaio.ProcessPool.new(1) as pool:
            orchestrator = Mpaio.Orchestrator.new(pool)
            orchestrator.add(add, iterator)
            orchestrator.run()

        self.assertEqual(add.total, 500_500)


class TestDtypes(unittest.TestCase):

    def test_new_for_dtype_takes_numpy_dtypes(self):
        memory = tw.int_memory(10)

        for dtype, expected in ((numpy.int64, '<i8'), ('int64', '<i8'), ('<i8', '<i8'),
                                (numpy.dtype('S8'), '|S8'), ('<U2', '<U2'),
                                (numpy.float32, '<f4')):
            iterator = Mpaio.DataIterator.new_for_dtype(memory, dtype, 2, 1)

            self.assertEqual(iterator.get_dtype(), expected)
            self.assertEqual(iterator.get_element_size(), numpy.dtype(dtype).itemsize)

    def test_type_strings_are_those_numpy_has(self):
        """Every type string Mpaio takes, numpy takes with the same size; every
        numpy.dtype.str of a type that can be shared (not objects, not empty),
        Mpaio takes."""
        candidates = [f'{order}{kind}{size}{unit}'
                      for order in '<>|='
                      for kind in 'biufcmMSUVO'
                      for size in list(range(0, 34)) + [64]
                      for unit in (['', '[ns]', '[10us]', '[D]', '[xx]'] if kind in 'mM' else [''])]
        for candidate in candidates:
            try:
                dtype = numpy.dtype(candidate)
            except TypeError:
                dtype = None
            try:
                size = Mpaio.dtype_get_element_size(candidate)
            except GLib.Error as error:
                self.assertTrue(error.matches(Mpaio.error_quark(), Mpaio.Error.INVALID_LAYOUT))
                size = None

            with self.subTest(candidate=candidate):
                if size is not None:
                    self.assertIsNotNone(dtype, 'numpy refuses it')
                    self.assertEqual(size, dtype.itemsize)
                elif dtype is not None and dtype.itemsize > 0 and dtype.kind != 'O':
                    self.assertEqual(Mpaio.dtype_get_element_size(dtype.str), dtype.itemsize)

    def test_type_strings_need_no_numpy(self):
        memory = tw.int_memory(10)

        with mock.patch.dict(sys.modules, {'numpy': None}):     # import numpy fails
            iterator = Mpaio.DataIterator.new_for_dtype(memory, '<i8', 2, 1)
            with self.assertRaises(ImportError):
                Mpaio.DataIterator.new_for_dtype(memory, numpy.int64, 2, 1)

        self.assertEqual(iterator.get_dtype(), '<i8')


class TestChunkAsArray(tw.TestCase):

    def test_chunks_are_zero_copy_views_of_one_mapping(self):
        n = 80_000
        probe = tw.Probe()

        self.run_workers((probe, tw.int_iterator(n, n // 8)))

        self.assertEqual(sorted(probe.seen), list(range(8)))
        bases = {}
        for chunk_index, (pid, base, owndata, writeable, dtype, shape, total) in probe.seen.items():
            start = chunk_index * n // 8
            self.assertFalse(owndata)
            self.assertFalse(writeable)
            self.assertEqual(dtype, '<i8')
            self.assertEqual(shape, [n // 8])
            self.assertEqual(total, sum(range(start + 1, start + n // 8 + 1)))
            bases.setdefault(pid, set()).add(base)
        # Every chunk a worker saw is a slice of the same mapping.
        self.assertTrue(all(len(b) == 1 for b in bases.values()), bases)

    def test_chunks_are_read_only(self):
        with self.assertRaisesRegex(ValueError, 'assignment destination is read-only'):
            self.run_workers((tw.Write(), tw.first_chunk_iterator()))

    def test_strings_keep_their_dtype(self):
        for strings in (tw.strings(100), tw.strings(100).astype('S8')):
            concat = tw.Concat()
            memory = Mpaio.SharedMemory.new_from_array(strings)

            self.run_workers((concat, Mpaio.DataIterator.new_for_dtype(
                memory, strings.dtype, len(strings), 7)))

            self.assertEqual(concat.text, ''.join(f'foo_{i}' for i in range(100)))

    def test_elements_viewed_as_rows(self):
        points = numpy.arange(30, dtype=numpy.float64).reshape(10, 3)
        memory = Mpaio.SharedMemory.new_from_array(points)
        iterator = Mpaio.DataIterator.new(memory, points.itemsize * 3, 10, 4)
        probe = tw.Probe(dtype='<f8')

        self.run_workers((probe, iterator))

        self.assertEqual([probe.seen[i][5] for i in range(3)], [[4, 3], [4, 3], [2, 3]])
        self.assertEqual(sum(probe.seen[i][6] for i in range(3)), points.sum())

    def test_elements_that_do_not_fit_the_dtype(self):
        memory = Mpaio.SharedMemory.new_from_array(numpy.zeros(30))
        iterator = Mpaio.DataIterator.new(memory, 24, 10, 5)

        with self.assertRaisesRegex(ValueError,
                                    r'a 24-byte element cannot be viewed as <U5 \(20 bytes\)'):
            self.run_workers((tw.Probe(dtype='<U5'), iterator))

    def test_offset_and_start_index(self):
        memory = tw.int_memory(100)     # 1..100
        iterator = Mpaio.DataIterator(memory=memory, offset=8 * 10, dtype='<i8',
                                      n_elements=90, start_index=80, chunk_size=4)
        add = tw.Sum()

        self.run_workers((add, iterator))

        self.assertEqual(add.total, sum(range(91, 101)))


class TestAttachByName(tw.TestCase):

    def filled_shm(self, n):
        shm = shared_memory.SharedMemory(create=True, size=n * 8)
        values = numpy.ndarray((n,), dtype=numpy.int64, buffer=shm.buf)
        values[:] = numpy.arange(1, n + 1)
        del values      # shm.close() refuses while a view is alive
        return shm

    def test_multiprocessing_shared_memory(self):
        shm = self.filled_shm(10_000)
        try:
            memory = Mpaio.SharedMemory.new_from_name(shm.name)
            add = tw.Sum()

            self.run_workers((add, Mpaio.DataIterator.new_for_dtype(
                memory, numpy.int64, 10_000, 1000)))

            self.assertEqual(add.total, 50_005_000)
            self.assertEqual(memory.get_name(), '/' + shm.name.lstrip('/'))
            self.assertFalse(memory.is_sealed())
            self.assertFalse(memory.as_array().flags.writeable)
        finally:
            shm.close()
            shm.unlink()

    def test_name_can_be_unlinked_once_attached(self):
        shm = self.filled_shm(1000)
        memory = Mpaio.SharedMemory.new_from_name(shm.name)
        shm.close()
        shm.unlink()
        add = tw.Sum()

        self.run_workers((add, Mpaio.DataIterator.new_for_dtype(memory, '<i8', 1000, 100)))

        self.assertEqual(add.total, 500_500)


if __name__ == '__main__':
    unittest.main()
