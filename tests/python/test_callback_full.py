#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A Python worker's do_process_callback_full fails the run by raising a
GLib.Error, through introspection alone."""

import unittest

import testworkers as tw
from testworkers import GLib, GObject, Mpaio

PICKY_ERROR = GLib.quark_from_string('test-picky-error-quark')


class Picky(GObject.Object, Mpaio.Worker):
    __gtype_name__ = 'MpaioTestPicky'

    def __init__(self):
        super().__init__()
        self.taken = []

    def do_process(self, chunk):
        return GLib.Variant('x', int(chunk.as_array().sum()))

    def do_process_callback_full(self, chunk_index, result):
        if chunk_index == 3:
            raise GLib.Error.new_literal(PICKY_ERROR, f'no room for chunk {chunk_index}', 7)
        self.taken.append(chunk_index)
        return True


Mpaio.serve_if_worker()


class TestProcessCallbackFull(unittest.TestCase):

    def test_raising_fails_the_run(self):
        with Mpaio.ProcessPool.new(1) as pool:
            orchestrator = Mpaio.Orchestrator.new(pool)
            picky = Picky()
            orchestrator.add(picky, tw.int_iterator(100, 10))

            with self.assertRaises(GLib.Error) as context:
                orchestrator.run()

        self.assertTrue(context.exception.matches(PICKY_ERROR, 7))
        self.assertEqual(context.exception.message, 'no room for chunk 3')
        self.assertEqual(picky.taken, [0, 1, 2])


if __name__ == '__main__':
    unittest.main()
