#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Files as input: .npy files written by numpy and raw files, mapped
read-only and summed by a process pool."""

import os
import tempfile
import unittest

import numpy
import numpy.lib.format

import testworkers as tw
from testworkers import GLib, Mpaio
from gi.repository import Gio, GObject

N = 100_000


class Shrink(GObject.Object, Mpaio.Worker):
    """Truncates its input file on chunk 0, then reads the chunk through
    its numpy view (a mapping of Python's own), made before or after."""

    __gtype_name__ = 'MpaioTestShrink'

    path = GObject.Property(type=str)
    view_first = GObject.Property(type=bool, default=True)

    def do_process(self, chunk):
        values = chunk.as_array() if self.view_first else None
        if chunk.get_index() == 0:
            os.truncate(self.path, 0)
        if values is None:
            values = chunk.as_array()
        return GLib.Variant('x', int(values.sum()))


Mpaio.serve_if_worker()


class TestFiles(tw.TestCase):

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.values = numpy.arange(1, N + 1, dtype=numpy.int64)

    def tearDown(self):
        self.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def sum_file(self, memory, chunk_size=7_000):
        worker = tw.Sum()
        iterator = Mpaio.DataIterator.new_for_array(memory, chunk_size)
        self.run_workers((worker, iterator))
        return worker.total

    def test_npy_written_by_numpy(self):
        path = self.path('values.npy')
        numpy.save(path, self.values.reshape(1000, 100))

        memory = Mpaio.SharedMemory.new_for_file(path)

        self.assertEqual(memory.get_dtype(), '<i8')
        self.assertEqual(memory.get_shape(), [1000, 100])
        self.assertFalse(memory.is_writable())
        numpy.testing.assert_array_equal(memory.as_array(), self.values.reshape(1000, 100))
        self.assertEqual(self.sum_file(memory), N * (N + 1) // 2)

    def test_npy_versions_2_and_3(self):
        for version in ((2, 0), (3, 0)):
            path = self.path(f'values-{version[0]}.npy')
            with open(path, 'wb') as file:
                numpy.lib.format.write_array(file, self.values, version=version)

            memory = Mpaio.SharedMemory.new_for_file(Gio.File.new_for_path(path))

            self.assertEqual(self.sum_file(memory), N * (N + 1) // 2)

    def test_gobject_constructor(self):
        path = self.path('values.npy')
        numpy.save(path, self.values)

        memory = Mpaio.SharedMemory.new_for_path(path, None, 0)

        self.assertEqual(memory.get_n_elements(), N)
        self.assertEqual(memory.get_array_offset() % 64, 0)

    def test_raw_file_with_offset(self):
        path = self.path('values.raw')
        with open(path, 'wb') as file:
            file.write(b'a header of 24 bytes....')
            self.values.tofile(file)

        memory = Mpaio.SharedMemory.new_for_file(path, numpy.int64, 24)

        self.assertEqual(memory.get_shape(), [N])
        numpy.testing.assert_array_equal(memory.as_array(), self.values)
        self.assertEqual(self.sum_file(memory), N * (N + 1) // 2)

    def test_fortran_order_is_refused(self):
        path = self.path('fortran.npy')
        numpy.save(path, numpy.asfortranarray(self.values.reshape(100, 1000)))

        with self.assertRaises(GLib.Error) as context:
            Mpaio.SharedMemory.new_for_file(path)

        self.assertMpaioError(context, Mpaio.Error.INVALID_LAYOUT)
        self.assertIn('ascontiguousarray', context.exception.message)

    def test_structured_dtype_is_refused(self):
        path = self.path('records.npy')
        numpy.save(path, numpy.zeros(4, dtype=[('x', '<i4'), ('y', '<f8')]))

        with self.assertRaises(GLib.Error) as context:
            Mpaio.SharedMemory.new_for_file(path)

        self.assertMpaioError(context, Mpaio.Error.INVALID_LAYOUT)
        self.assertIn('structured', context.exception.message)

    def test_truncated_file_is_refused(self):
        path = self.path('truncated.npy')
        numpy.save(path, self.values)
        os.truncate(path, os.path.getsize(path) - 8)

        with self.assertRaises(GLib.Error) as context:
            Mpaio.SharedMemory.new_for_file(path)

        self.assertMpaioError(context, Mpaio.Error.INVALID_LAYOUT)
        self.assertIn('truncated', context.exception.message)

    def test_file_that_shrank_is_refused_before_the_run(self):
        path = self.path('shrinks.npy')
        numpy.save(path, self.values)
        memory = Mpaio.SharedMemory.new_for_file(path)
        os.truncate(path, 64)

        with self.assertRaises(GLib.Error) as context:
            self.sum_file(memory)

        self.assertMpaioError(context, Mpaio.Error.INPUT_CHANGED)

    def test_file_that_shrinks_under_a_python_worker(self):
        for view_first in (True, False):
            path = self.path(f'shrinks-{view_first}.raw')
            self.values.tofile(path)
            memory = Mpaio.SharedMemory.new_for_file(path, numpy.int64)
            iterator = Mpaio.DataIterator.new_for_array(memory, 10_000)

            with self.assertRaises(GLib.Error) as context:
                self.run_workers((Shrink(path=path, view_first=view_first), iterator))

            self.assertMpaioError(context, Mpaio.Error.INPUT_CHANGED)
            self.assertIn('The input shrank from 800000 to 0 bytes', context.exception.message)


if __name__ == '__main__':
    unittest.main()
