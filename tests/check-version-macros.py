#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A program that pins MPAIO_VERSION_MIN_REQUIRED or MPAIO_VERSION_MAX_ALLOWED
gets a compiler warning for API outside its range, and none inside it.

  check-version-macros.py SOURCE_INCLUDE_DIR BUILD_INCLUDE_DIR CC...

Each case compiles a small program with -fsyntax-only; output is TAP."""

import subprocess
import sys
import tempfile
from pathlib import Path

PROGRAM = '''
#include <mpaio.h>

/* Stand-ins for symbols of a later release, and for deprecated ones. */
MPAIO_AVAILABLE_IN_1_0 void future_function (void);
MPAIO_DEPRECATED_IN_1_0_FOR (mpaio_error_quark) void old_function (void);
MPAIO_AVAILABLE_IN_0_1 void current_function (void);

int
main (void)
{
  %s ();
  return mpaio_error_quark () == 0;
}
'''

# (description, call, defines, expected text in the diagnostics or None)
CASES = [
    ('MAX_ALLOWED 0.1: a 1.0 symbol warns', 'future_function',
     ['MPAIO_VERSION_MAX_ALLOWED=MPAIO_VERSION_0_1'], 'Not available before 1.0'),
    ('by default (0.1 headers): a 1.0 symbol warns', 'future_function',
     [], 'Not available before 1.0'),
    ('MAX_ALLOWED 1.0: a 1.0 symbol is fine', 'future_function',
     ['MPAIO_VERSION_MAX_ALLOWED=MPAIO_VERSION_1_0'], None),
    ('MAX_ALLOWED 0.1: a 0.1 symbol is fine', 'current_function',
     ['MPAIO_VERSION_MAX_ALLOWED=MPAIO_VERSION_0_1'], None),
    ('MIN_REQUIRED 1.0: a symbol deprecated in 1.0 warns with its replacement',
     'old_function', ['MPAIO_VERSION_MIN_REQUIRED=MPAIO_VERSION_1_0'],
     "Use 'mpaio_error_quark' instead"),
    ('MIN_REQUIRED 0.1: a symbol deprecated in 1.0 is fine', 'old_function',
     ['MPAIO_VERSION_MIN_REQUIRED=MPAIO_VERSION_0_1'], None),
    ('MPAIO_DISABLE_DEPRECATION_WARNINGS silences deprecations', 'old_function',
     ['MPAIO_VERSION_MIN_REQUIRED=MPAIO_VERSION_1_0', 'MPAIO_DISABLE_DEPRECATION_WARNINGS'],
     None),
    ('MAX_ALLOWED below MIN_REQUIRED is refused', 'current_function',
     ['MPAIO_VERSION_MIN_REQUIRED=MPAIO_VERSION_1_0',
      'MPAIO_VERSION_MAX_ALLOWED=MPAIO_VERSION_0_1'],
     'MPAIO_VERSION_MAX_ALLOWED must be >= MPAIO_VERSION_MIN_REQUIRED'),
]


def compile_case(compiler, cflags, directory, call, defines):
    source = Path(directory) / f'{call}.c'
    source.write_text(PROGRAM % call)
    command = (compiler + cflags + ['-fsyntax-only', '-Wall', '-Werror'] +
               [f'-D{define}' for define in defines] + [str(source)])
    return subprocess.run(command, capture_output=True, text=True)


def main():
    source_dir, build_dir, *compiler = sys.argv[1:]
    glib = subprocess.run(['pkg-config', '--cflags', 'gio-2.0'],
                          capture_output=True, text=True, check=True).stdout.split()
    cflags = glib + [f'-I{source_dir}', f'-I{build_dir}']
    failed = 0
    print(f'1..{len(CASES)}')
    with tempfile.TemporaryDirectory() as directory:
        for number, (description, call, defines, expected) in enumerate(CASES, 1):
            result = compile_case(compiler, cflags, directory, call, defines)
            if expected is None:
                good = result.returncode == 0
            else:
                good = result.returncode != 0 and expected in result.stderr
            if not good:
                failed += 1
                for line in result.stderr.splitlines():
                    print(f'# {line}')
            print(f'{"ok" if good else "not ok"} {number} {description}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
