# SPDX-License-Identifier: LGPL-2.1-or-later
"""How a Python exception crosses from a worker process to the caller.

Only a GError (domain, code, message) crosses. An exception raised in a
worker's ``do_process`` becomes ``Mpaio.Error.WORKER_FAILED`` whose message
is, in this order:

- the exception as the last line of a traceback says it ("ValueError: boom"),
  which is all a C caller needs to read;
- an empty line, then the worker's traceback, as text;
- one last line: the tag ``[mpaio-python-exception]``, a space, and a JSON
  object: the exception's module, qualified name, ``repr()`` of its args, the
  worker's pid, and the length of the traceback above it.

The pool puts the worker type and chunk in front. The last line is found by
its tag and parsed as JSON (never evaluated, never unpickled); the traceback
is found by its length, so neither depends on what the message or the
traceback contain. In the caller, the class is looked up among the modules it
has imported already (nothing is imported on a worker's say), must be an
``Exception``, and is called with the args read back by
``ast.literal_eval()``. Anything else gives the ``GLib.Error`` back, without
the trailer. Either way, the remote traceback is the exception's
``__cause__``, as ``concurrent.futures`` does it.
"""

import ast
import json
import os
import sys
import traceback

TAG = '[mpaio-python-exception] '
MAX_TRACEBACK = 16 * 1024       # the tail is where the exception was raised
MAX_ARGS = 4096


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker process: the
    ``__cause__`` of the exception the caller gets."""

    def __init__(self, where, text):
        super().__init__(where, text)
        self.where = where
        self.text = text

    def __str__(self):
        return f'{self.where}\n"""\n{self.text}"""'


def describe(exception):
    """'ValueError: boom', as the last line of a traceback says it."""
    return ''.join(traceback.format_exception_only(type(exception), exception)).strip()


def _inner_traceback(tb, own_file):
    """Skips the frames of the overrides themselves."""
    while tb is not None and tb.tb_next is not None and \
            tb.tb_frame.f_code.co_filename in own_file:
        tb = tb.tb_next
    return tb


def _args_text(exception):
    try:
        text = repr(tuple(exception.args))
        ast.literal_eval(text)
    except Exception:  # noqa: BLE001 (args that cannot be read back)
        return None
    return text if len(text) <= MAX_ARGS else None


def encode(exception, own_files):
    """The WORKER_FAILED message for ``exception``, raised in this worker."""
    tb = _inner_traceback(exception.__traceback__, own_files)
    text = ''.join(traceback.format_exception(type(exception), exception, tb))
    if len(text) > MAX_TRACEBACK:
        text = '…\n' + text[-MAX_TRACEBACK:]
    cls = type(exception)
    info = {
        'module': cls.__module__,
        'qualname': cls.__qualname__,
        'args': _args_text(exception),
        'pid': os.getpid(),
        'traceback': len(text),
    }
    return f'{describe(exception)}\n\n{text}\n{TAG}{json.dumps(info, ensure_ascii=True)}'


def _split(message):
    """(message without the trailer, info, traceback text), or None."""
    head, _, last = message.rpartition('\n')
    if not last.startswith(TAG):
        return None
    try:
        info = json.loads(last[len(TAG):])
    except ValueError:
        return None
    if not isinstance(info, dict):
        return None
    n = info.get('traceback')
    if not isinstance(n, int) or isinstance(n, bool) or n < 0 or len(head) < n + 2:
        return None
    text = head[len(head) - n:]
    rest = head[:len(head) - n]
    if not rest.endswith('\n\n'):
        return None
    return rest[:-2], info, text


def _find_class(module_name, qualname):
    module = sys.modules.get(module_name) if isinstance(module_name, str) else None
    if module is None or not isinstance(qualname, str):
        return None
    found = module
    for part in qualname.split('.'):
        found = getattr(found, part, None)
    if isinstance(found, type) and issubclass(found, Exception):
        return found
    return None


def _rebuild(info):
    cls = _find_class(info.get('module'), info.get('qualname'))
    args = info.get('args')
    if cls is None or not isinstance(args, str) or len(args) > MAX_ARGS:
        return None
    try:
        args = ast.literal_eval(args)
        if not isinstance(args, tuple):
            return None
        return cls(*args)
    except Exception:  # noqa: BLE001 (a class that cannot be built so)
        return None


def from_worker_error(error, make_error):
    """The exception to raise in the caller for the GLib.Error ``error`` of
    a run, or None to raise ``error`` itself. ``make_error(message)`` makes
    a GLib.Error of the same domain and code."""
    parts = _split(error.message)
    if parts is None:
        return None
    message, info, text = parts
    pid = info.get('pid')
    where = f'In worker process {pid}: {message}' if isinstance(pid, int) else message
    exception = _rebuild(info)
    if exception is None:
        exception = make_error(message)
    elif hasattr(exception, 'add_note'):
        exception.add_note(where)
    exception.__cause__ = RemoteTraceback(where, text)
    exception.__suppress_context__ = True
    return exception
