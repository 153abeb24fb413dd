#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Prepares what gi-docgen makes the reference from.

The guides stay plain Markdown that reads right in the repository: links to
other guides end in .md, links to other files are relative paths, images are
in images/. In the generated reference the guides are NAME.html, images sit
next to the pages, and the repository is not there: each link is rewritten to
what exists in the HTML.

A generated header has no page in the repository: the GIR that the reference
is made from points at its template (NAME.in) instead, whose lines are the
same.

    prepare-content.py guide SOURCE OUTPUT TITLE [options]
    prepare-content.py example SOURCE OUTPUT [options]
    prepare-content.py gir SOURCE OUTPUT [options]
"""

import argparse
import posixpath
import re
from pathlib import Path

LINK = re.compile(r'\]\(([^)\s]+)\)')
LANGUAGES = {'.c': 'c', '.h': 'c', '.py': 'python', '.js': 'js'}


def rewrite(target, options):
    if re.match(r'[a-z]+:|#', target):
        return target
    path, _, anchor = target.partition('#')
    anchor = '#' + anchor if anchor else ''
    if path.startswith('images/'):
        return path[len('images/'):] + anchor
    if posixpath.dirname(path) == '' and path in options.guides:
        return path[:-len('.md')] + '.html' + anchor
    in_tree = posixpath.normpath(posixpath.join('docs', path))
    examples = dict(pair.split('=', 1) for pair in options.examples)
    if in_tree in examples:
        return examples[in_tree][:-len('.md')] + '.html' + anchor
    kind = 'tree' if (options.source_root / in_tree).is_dir() else 'blob'
    return f'{options.browse_url}/-/{kind}/main/{in_tree}{anchor}'


def guide(options):
    text = options.source.read_text(encoding='utf-8')
    text = LINK.sub(lambda match: '](' + rewrite(match.group(1), options) + ')', text)
    return f'Title: {options.title}\n\n{text}'


def example(options):
    path = options.source.resolve().relative_to(options.source_root.resolve())
    code = options.source.read_text(encoding='utf-8')
    language = LANGUAGES.get(path.suffix, '')
    return (f'Title: Example: {path}\n\n'
            f'# {path}\n\n'
            f'The example program `{path}`, as it is in this version of the source tree.\n\n'
            f'```{language}\n{code.rstrip()}\n```\n')


def gir(options):
    def template(match):
        path = match.group(1)
        if not (options.source_root / path).exists() and (options.source_root / (path + '.in')).exists():
            path += '.in'
        return f'filename="{path}"'

    return re.sub(r'filename="([^"]*)"', template, options.source.read_text(encoding='utf-8'))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('kind', choices=['guide', 'example', 'gir'])
    parser.add_argument('source', type=Path)
    parser.add_argument('output', type=Path)
    parser.add_argument('title', nargs='?')
    parser.add_argument('--source-root', type=Path, required=True)
    parser.add_argument('--browse-url', default='')
    parser.add_argument('--guides', nargs='*', default=[],
                        help='the guides that are pages of the reference (NAME.md)')
    parser.add_argument('--examples', nargs='*', default=[],
                        help='the examples that are pages of the reference, as examples/FILE=PAGE.md')
    options = parser.parse_args()
    text = {'guide': guide, 'example': example, 'gir': gir}[options.kind](options)
    options.output.write_text(text, encoding='utf-8')


if __name__ == '__main__':
    main()
