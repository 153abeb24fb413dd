#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""check-docs.py catches what it is there to catch: fragments that drifted
from their program, links that lead nowhere, programs that fail or print
something else than the doc shows, broken titles in the generated HTML."""

import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

CHECK_DOCS = Path(__file__).with_name('check-docs.py')
PROGRAM = '''\
import sys

def main():
    print('hello')

main()
'''
FENCE = '```'


def doc(text):
    return textwrap.dedent(text).replace("'''", FENCE)


class CheckDocsTestCase(unittest.TestCase):

    def setUp(self):
        self.directory = tempfile.TemporaryDirectory()
        self.root = Path(self.directory.name)
        (self.root / 'docs').mkdir()
        (self.root / 'examples').mkdir()
        (self.root / 'examples' / 'hello.py').write_text(PROGRAM)
        (self.root / 'examples' / 'meson.build').write_text("executable('hello', 'hello.c')\n")
        self.write('docs/other.md', '# Other\n\n## A heading\n')

    def tearDown(self):
        self.directory.cleanup()

    def write(self, path, text):
        (self.root / path).write_text(doc(text))

    def check(self, *args):
        process = subprocess.run([sys.executable, str(CHECK_DOCS)] + [str(a) for a in args],
                                 capture_output=True, text=True)
        failures = [line for line in process.stdout.splitlines() if line.startswith('not ok')]
        self.assertEqual(process.returncode != 0, bool(failures), process.stdout)
        return process.stdout, failures

    def assert_fails(self, expected, *args):
        output, failures = self.check(*args)
        self.assertTrue(failures, output)
        self.assertIn(expected, output)

    def test_a_good_tree_passes(self):
        self.write('README.md', """\
            # Title

            See [other](docs/other.md#a-heading). Cut from `examples/hello.py`:

            <!-- fragment: examples/hello.py -->
            '''python
            def main():
                ...
                print('hello')
            '''

            '''sh
            build/examples/hello
            '''
            """)
        output, failures = self.check('blocks', self.root)
        self.assertEqual(failures, [], output)

    def test_a_fragment_that_drifted_fails(self):
        self.write('README.md', """\
            Cut from examples/hello.py:

            <!-- fragment: examples/hello.py -->
            '''python
            print('hello, world')
            '''
            """)
        self.assert_fails("print('hello, world')", 'blocks', self.root)

    def test_a_fragment_its_section_does_not_name_fails(self):
        self.write('README.md', """\
            A cut:

            <!-- fragment: examples/hello.py -->
            '''python
            main()
            '''
            """)
        self.assert_fails('does not say the block is cut from', 'blocks', self.root)

    def test_a_fragment_of_no_program_fails(self):
        self.write('README.md', """\
            Cut from examples/gone.py:

            <!-- fragment: examples/gone.py -->
            '''python
            main()
            '''
            """)
        self.assert_fails('examples/gone.py does not exist', 'blocks', self.root)

    def test_links_that_lead_nowhere_fail(self):
        self.write('README.md', '[a](docs/gone.md) and [b](docs/other.md#gone)\n')
        self.assert_fails('docs/gone.md: no such file', 'blocks', self.root)
        self.assert_fails('docs/other.md#gone: no such anchor', 'blocks', self.root)

    def test_a_command_naming_no_program_fails(self):
        self.write('README.md', "'''sh\nbuild/examples/goodbye --now\n'''\n")
        self.assert_fails('build/examples/goodbye', 'blocks', self.root)

    def test_a_block_no_test_runs_fails(self):
        self.write('README.md', "'''javascript\nprint(1);\n'''\n")
        self.assert_fails('a block of javascript', 'blocks', self.root)

    def run_python(self, shown):
        self.write('README.md', f"""\
            '''python
            {PROGRAM.replace(chr(10), chr(10) + ' ' * 12)}
            '''

            <!-- output -->
            '''
            {shown}
            '''
            """)
        (self.root / 'build').mkdir()
        return ['run', 'python', self.root, self.root / 'build', '--python', sys.executable]

    def test_a_program_printing_what_the_doc_shows_passes(self):
        output, failures = self.check(*self.run_python('hello'))
        self.assertEqual(failures, [], output)
        self.assertIn('prints what the doc shows', output)

    def test_a_program_printing_something_else_fails(self):
        self.assert_fails('instead of:', *self.run_python('goodbye'))

    def test_a_failing_program_fails(self):
        self.write('README.md', "'''python\nraise SystemExit(3)\n'''\n")
        (self.root / 'build').mkdir()
        self.assert_fails('exited with 3', 'run', 'python', self.root, self.root / 'build',
                          '--python', sys.executable)

    def html(self, pages):
        html = self.root / 'html'
        html.mkdir()
        (html / 'urlmap.js').write_text("baseURLs = [\n  [ 'GLib', 'https://docs.gtk.org/glib/' ],\n]\n")
        for name, body in pages.items():
            (html / name).write_text(f'<html><head>{body}</html>')
        return ['html', html, self.root, '--browse-url', 'https://example.org/r']

    def test_the_reference_checks(self):
        args = self.html({
            'index.html': '<title>Index</title></head><a href="page.html#there">a</a>'
                          '<a href="https://example.org/r/-/blob/main/examples/hello.py">b</a>',
            'page.html': '<title>Page</title></head><h2 id="there">There</h2>'
                         '<a data-namespace="GLib" href="javascript:void(0)">c</a>',
        })
        output, failures = self.check(*args)
        self.assertEqual(failures, [], output)

    def test_broken_links_anchors_and_titles_fail(self):
        args = self.html({
            'index.html': '<title>Overview/n/n# Overview</title></head>'
                          '<a href="design.md">a</a><a href="page.html#gone">b</a>'
                          '<a href="https://example.org/r/-/blob/main/examples/gone.c">c</a>'
                          '<a data-namespace="Gtk" href="javascript:void(0)">d</a>',
            'page.html': '<title>Page</title></head>',
        })
        output, failures = self.check(*args)
        for expected in ("title 'Overview/n/n# Overview'", 'design.md: no such file',
                         'page.html#gone: no such anchor', 'no examples/gone.c in the source tree',
                         'Gtk: not in urlmap.js'):
            self.assertIn(expected, output)


if __name__ == '__main__':
    unittest.main()
