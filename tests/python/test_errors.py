#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Errors from Python: worker exceptions arrive as their own class with the
remote traceback, bad results and bad input as GLib.Error, and none of them
breaks the pool."""

import unittest

import testworkers as tw
from testworkers import GLib, GObject, Mpaio

from gi.repository import Gio

Mpaio.serve_if_worker()


# Defined after serve_if_worker(), so worker processes never see it.
class CallerOnly(GObject.Object, Mpaio.Worker):
    __gtype_name__ = 'MpaioTestCallerOnly'

    def do_process(self, chunk):
        return GLib.Variant('b', True)


class TestWorkerExceptions(tw.TestCase):

    def run_failing(self, **properties):
        with self.assertRaises(GLib.Error) as context:
            self.run_workers((tw.Fail(**properties), tw.first_chunk_iterator()))
        return context

    def run_raising(self, exception_class, **properties):
        with self.assertRaises(exception_class) as context:
            self.run_workers((tw.Fail(**properties), tw.first_chunk_iterator()))
        return context.exception

    def test_exception_keeps_its_class_and_args(self):
        exception = self.run_raising(ValueError, exception='ValueError', message='boom')

        self.assertIs(type(exception), ValueError)
        self.assertEqual(exception.args, ('boom',))

    def test_remote_traceback_is_the_cause(self):
        exception = self.run_raising(ValueError, exception='ValueError', message='boom')

        cause = exception.__cause__
        self.assertIsInstance(cause, Mpaio.RemoteTraceback)
        self.assertTrue(exception.__suppress_context__)
        self.assertRegex(cause.where, r'^In worker process \d+: MpaioTestFail failed on chunk 0 '
                         r'\(elements 0 to 4\): ValueError: boom$')
        self.assertTrue(cause.text.startswith('Traceback (most recent call last):\n'),
                        cause.text)
        self.assertIn('testworkers.py', cause.text)
        self.assertIn('in do_process', cause.text)
        self.assertNotIn('gi/overrides', cause.text)
        self.assertTrue(cause.text.endswith('ValueError: boom\n'), cause.text)
        self.assertIn(cause.where, exception.__notes__)

    def test_exception_of_a_module_of_the_caller(self):
        exception = self.run_raising(tw.CustomError, exception='CustomError',
                                     message='not good')

        self.assertEqual(exception.args, ('not good',))

    def test_exception_the_caller_cannot_rebuild_is_a_glib_error(self):
        for name, tail in (('Unfindable', 'testworkers.Unfindable: boom'),
                           ('UnreadableArgs', 'ValueError: <object>'),
                           ('SystemExit', 'SystemExit: boom')):
            with self.subTest(exception=name):
                error = self.run_raising(GLib.Error, exception=name)

                self.assertTrue(error.matches(Mpaio.error_quark(), Mpaio.Error.WORKER_FAILED))
                self.assertTrue(error.message.startswith(
                    'MpaioTestFail failed on chunk 0 (elements 0 to 4): '), error.message)
                self.assertTrue(error.message.endswith(tail), error.message)
                self.assertIsInstance(error.__cause__, Mpaio.RemoteTraceback)

    def test_exception_without_a_message(self):
        exception = self.run_raising(RuntimeError, exception='RuntimeError', message='')

        self.assertEqual(exception.args, ('',))

    def test_message_as_c_callers_read_it(self):
        orchestrator = Mpaio.Orchestrator.new(self.pool)
        orchestrator.add(tw.Fail(message='boom'), tw.first_chunk_iterator())
        results = []
        orchestrator.run_async(None, lambda source, result: results.append(result))
        context = GLib.MainContext.ref_thread_default()
        while not results:
            context.iteration(True)

        with self.assertRaises(GLib.Error) as raised:
            Mpaio.Orchestrator.__base__.run_finish(orchestrator, results[0])

        first, blank, rest = raised.exception.message.split('\n', 2)
        self.assertEqual(first, 'MpaioTestFail failed on chunk 0 (elements 0 to 4): '
                                'ValueError: boom')
        self.assertEqual(blank, '')
        self.assertTrue(rest.startswith('Traceback (most recent call last):'), rest)
        self.assertRegex(rest.splitlines()[-1], r'^\[mpaio-python-exception\] \{.*"qualname": '
                         r'"ValueError".*\}$')

    def test_glib_error_keeps_its_domain_and_code(self):
        context = self.run_failing(exception='GLib.Error', domain='g-io-error-quark',
                                   code=int(Gio.IOErrorEnum.NOT_FOUND), message='gone')

        self.assertTrue(context.exception.matches(Gio.io_error_quark(),
                                                  Gio.IOErrorEnum.NOT_FOUND))
        self.assertTrue(context.exception.message.endswith(': gone'))

    def test_glib_error_of_a_domain_the_caller_registered(self):
        domain = GLib.quark_from_string('mpaio-test-error-quark')

        context = self.run_failing(exception='GLib.Error', domain='mpaio-test-error-quark',
                                   code=7, message='custom')

        self.assertTrue(context.exception.matches(domain, 7))

    def test_glib_error_of_a_domain_the_caller_does_not_know(self):
        context = self.run_failing(exception='GLib.Error', domain='mpaio-test-unknown-domain',
                                   code=3, message='custom')

        self.assertMpaioError(context, Mpaio.Error.WORKER_FAILED)
        self.assertIn('custom (mpaio-test-unknown-domain 3)', context.exception.message)

    def test_exception_does_not_kill_the_pool(self):
        pids = tw.start_worker_processes(self.pool)

        self.run_raising(ValueError)
        add = tw.Sum()
        self.run_workers((add, tw.int_iterator(1000, 10)))

        self.assertEqual(add.total, 500500)
        self.assertEqual(sorted(self.pool.dup_worker_pids()), pids)


class TestResults(tw.TestCase):

    def run_returning(self, kind, declared=None):
        with self.assertRaises(GLib.Error) as context:
            self.run_workers((tw.Return(kind=kind, declared=declared),
                              tw.first_chunk_iterator()))
        self.assertMpaioError(context, Mpaio.Error.INVALID_RESULT)
        return context.exception.message

    def test_result_must_be_a_variant(self):
        message = self.run_returning('python-int')

        self.assertIn('Return.do_process() returned int, not a GLib.Variant', message)

    def test_result_must_not_be_none(self):
        message = self.run_returning('none')

        self.assertIn('returned NoneType, not a GLib.Variant', message)

    def test_result_must_have_the_declared_type(self):
        self.run_returning('string', declared='x')

    def test_declared_type_may_be_a_variant_type(self):
        with self.assertRaises(GLib.Error) as context:
            self.run_workers((tw.Return(kind='string', declared='x', as_variant_type=True),
                              tw.first_chunk_iterator()))

        self.assertMpaioError(context, Mpaio.Error.INVALID_RESULT)

    def test_declared_type_string_must_be_valid(self):
        worker = tw.Return(declared='not a type')

        with self.assertRaisesRegex(ValueError, "'not a type'.* not a GVariant type string"):
            tw.Return.do_dup_result_type(worker)

    def test_result_of_the_declared_type_passes(self):
        self.run_workers((tw.Return(kind='int64', declared='x'), tw.first_chunk_iterator()),
                         (tw.Return(kind='int64', declared='x', as_variant_type=True),
                          tw.first_chunk_iterator()))


class TestErrorEnum(tw.TestCase):

    def test_error_codes_are_a_registered_enum(self):
        self.assertEqual(Mpaio.Error.__gtype__.name, 'MpaioError')
        self.assertEqual(Mpaio.Error.WRONG_CONTEXT.value_nick, 'wrong-context')
        self.assertEqual(Mpaio.Error(int(Mpaio.Error.TIMED_OUT)), Mpaio.Error.TIMED_OUT)


class TestBadInput(tw.TestCase):

    def test_unsealed_memory(self):
        memory = Mpaio.SharedMemory.new(80)
        iterator = Mpaio.DataIterator.new_for_dtype(memory, '<i8', 10, 5)

        with self.assertRaises(GLib.Error) as context:
            self.run_workers((tw.Sum(), iterator))

        self.assertMpaioError(context, Mpaio.Error.NOT_SEALED)

    def test_zero_chunk_size_is_refused_by_the_constructor(self):
        memory = tw.int_memory(10)

        with self.assertRaises(GLib.Error) as context:
            Mpaio.DataIterator.new_for_dtype(memory, '<i8', 10, 0)

        self.assertMpaioError(context, Mpaio.Error.INVALID_LAYOUT)

    def test_zero_chunk_size_is_refused_by_the_run(self):
        iterator = Mpaio.DataIterator(memory=tw.int_memory(10), dtype='<i8',
                                      n_elements=10, chunk_size=0)

        with self.assertRaises(GLib.Error) as context:
            self.run_workers((tw.Sum(), iterator))

        self.assertMpaioError(context, Mpaio.Error.INVALID_LAYOUT)

    def test_array_larger_than_its_memory(self):
        with self.assertRaises(GLib.Error) as context:
            Mpaio.DataIterator.new_for_dtype(tw.int_memory(10), '<i8', 11, 5)

        self.assertMpaioError(context, Mpaio.Error.INVALID_LAYOUT)

    def test_unserializable_property(self):
        worker = tw.ObjectProperty(target=GObject.Object())

        with self.assertRaises(GLib.Error) as context:
            self.run_workers((worker, tw.first_chunk_iterator()))

        self.assertMpaioError(context, Mpaio.Error.UNSERIALIZABLE_PROPERTY)
        self.assertIn('“target”', context.exception.message)

    def test_unserializable_property_at_its_default_is_fine(self):
        self.run_workers((tw.ObjectProperty(), tw.first_chunk_iterator()))

    def test_worker_class_unknown_to_the_worker_processes(self):
        with self.assertRaises(GLib.Error) as context:
            self.run_workers((CallerOnly(), tw.first_chunk_iterator()))

        self.assertMpaioError(context, Mpaio.Error.UNKNOWN_WORKER_TYPE)
        self.assertIn('MpaioTestCallerOnly', context.exception.message)

    def test_worker_class_needs_an_explicit_type_name(self):
        with self.assertRaisesRegex(TypeError, r'Anonymous .*__gtype_name__'):
            class Anonymous(GObject.Object, Mpaio.Worker):
                def do_process(self, chunk):
                    return GLib.Variant('b', True)

    def test_subclass_of_a_worker_needs_its_own_type_name(self):
        with self.assertRaisesRegex(TypeError, r'__gtype_name__'):
            class MoreSum(tw.Sum):
                pass


if __name__ == '__main__':
    unittest.main()
