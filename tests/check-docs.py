#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The documentation runs as written, and its links lead somewhere.

Every ```c, ```python and ```js block of README.md and docs/*.md is either a
complete program, or a fragment: a block right after a line

    <!-- fragment: PATH -->

cut from the complete program PATH in the source tree, which the prose of its
section names. Lines that are only an ellipsis (`...`, `…`, `/* … */`,
`// …`, `# …`) stand for lines left out.

    check-docs.py blocks SOURCE_ROOT
        fragments are real (every line is in PATH), links between the Markdown
        files resolve, `build/...` in shell blocks names something built;
    check-docs.py run {c,python,js} SOURCE_ROOT BUILD_ROOT [--cc CC...]
        extracts the complete programs into BUILD_ROOT, compiles (C) and runs
        each one: it must exit 0 and print the block right after a line
        `<!-- output -->` that follows it, if any;
    check-docs.py html HTML_DIR SOURCE_ROOT --browse-url URL
        every relative link and anchor of the generated reference resolves,
        links into the repository name files that exist, and no title has a
        stray `/n` or `#`.

Each prints TAP.
"""

import argparse
import html.parser
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r'^(\s*)```\s*([\w+-]*)\s*$')
FRAGMENT = re.compile(r'^\s*<!-- fragment: (\S+) -->\s*$')
OUTPUT = re.compile(r'^\s*<!-- output -->\s*$')
ELLIPSIS = re.compile(r'^(\.\.\.|…|/\* … \*/|/\* \.\.\. \*/|// …|# …)$')
LINK = re.compile(r'\[[^\]]*\]\(([^)\s]+)\)')
PROGRAM_LANGUAGES = {'c': '.c', 'python': '.py', 'js': '.js'}
OTHER_LANGUAGES = {'sh', 'text', ''}


@dataclass
class Block:
    doc: Path
    line: int
    language: str
    text: str
    section: str                  # the prose since the last heading
    fragment: str = None
    output: str = None            # for a complete program: what it prints
    orphan_output: bool = False   # an output block after no complete program

    def name(self, root):
        return f'{self.doc.relative_to(root)}:{self.line}'


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def result(self, ok, description, diagnostics=''):
        self.n += 1
        print(f'{"ok" if ok else "not ok"} {self.n} {description}')
        if not ok:
            self.failed += 1
            for line in str(diagnostics).rstrip().splitlines():
                print(f'# {line}')
        sys.stdout.flush()

    def finish(self):
        print(f'1..{self.n}')
        return 1 if self.failed else 0


def documents(root):
    return [root / 'README.md'] + sorted((root / 'docs').glob('*.md'))


def read_fence(lines, i, indent):
    """The body of the block whose fence is lines[i - 1], without the
    fence's indentation, and the index of the line after its closing fence."""
    body = []
    while i < len(lines) and lines[i].strip() != '```':
        body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
        i += 1
    return '\n'.join(body) + '\n', i + 1


def parse(doc):
    """The fenced blocks of DOC, and its prose lines outside them."""
    blocks, prose, section, marker = [], [], [], ''
    lines = doc.read_text(encoding='utf-8').splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            section = [] if lines[i].startswith('#') else section
            marker = lines[i] if lines[i].strip() else marker
            if not FRAGMENT.match(lines[i]):     # the prose must name the program
                section.append(lines[i])
            prose.append(lines[i])
            i += 1
            continue
        text, next_line = read_fence(lines, i + 1, match.group(1))
        block = Block(doc, i + 1, match.group(2), text, '\n'.join(section))
        fragment = FRAGMENT.match(marker)
        block.fragment = fragment.group(1) if fragment else None
        if OUTPUT.match(marker):
            programs = [b for b in blocks if b.language in PROGRAM_LANGUAGES and not b.fragment]
            if programs:
                programs[-1].output = block.text
            block.orphan_output = not programs
        blocks.append(block)
        marker, i = '', next_line
    return blocks, prose


def github_anchors(doc):
    """The anchors GitHub and GitLab make for the headings of a Markdown file."""
    anchors = set()
    for line in doc.read_text(encoding='utf-8').splitlines():
        if line.startswith('#'):
            title = line.lstrip('#').strip().lower()
            anchors.add(re.sub(r'\s', '-', re.sub(r'[^\w\s-]', '', title)))
    return anchors


# blocks: fragments, Markdown links, shell commands

def check_fragment(block, root):
    path = root / block.fragment
    if not path.is_file():
        return False, f'{block.fragment} does not exist'
    if block.fragment not in block.section and path.name not in block.section:
        return False, f'the section does not say the block is cut from {block.fragment}'
    program = {line.strip() for line in path.read_text(encoding='utf-8').splitlines()}
    missing = [line for line in block.text.splitlines()
               if line.strip() and not ELLIPSIS.match(line.strip()) and line.strip() not in program]
    if missing:
        return False, f'lines not in {block.fragment}:\n' + '\n'.join(missing)
    return True, ''


def check_built_path(token, root):
    """`build/DIR/NAME` is a program a meson.build in DIR builds, or a
    folder of the build tree."""
    path = token[len('build/'):].rstrip('/')
    if (root / path).is_dir():
        return True
    build_file = root / os.path.dirname(path) / 'meson.build'
    name = os.path.basename(path)
    return build_file.is_file() and f"executable('{name}'" in build_file.read_text()


def check_shell(block, root):
    wrong = []
    for token in re.split(r'[\s;&|()"\'`]+', block.text):
        token = token.split('=', 1)[-1]
        if token.startswith('build/'):
            if not check_built_path(token, root):
                wrong.append(token)
        elif re.match(r'^(examples|bench|tests|docs|bindings|\.ci)/[\w./-]+$', token):
            if not (root / token).exists():
                wrong.append(token)
    return not wrong, 'no such file: ' + ', '.join(wrong)


def broken(link, page, anchors):
    """Why the relative LINK from PAGE leads nowhere, or None. ANCHORS gives
    the anchors of a page it leads to, or None for a page of another kind."""
    target, _, anchor = link.partition('#')
    resolved = (page.parent / target).resolve() if target else page.resolve()
    if not resolved.exists():
        return f'{link}: no such file'
    if anchor and anchors(resolved) is not None and anchor not in anchors(resolved):
        return f'{link}: no such anchor'
    return None


def check_links(doc, prose, root):
    def anchors(path):
        return github_anchors(path) if path.suffix == '.md' else None

    wrong = [broken(link, doc, anchors) for link in LINK.findall('\n'.join(prose))
             if not re.match(r'[a-z]+:', link)]
    wrong = [why for why in wrong if why]
    return not wrong, '\n'.join(wrong)


def blocks_command(options):
    tap, root = Tap(), options.source_root
    for doc in documents(root):
        blocks, prose = parse(doc)
        ok, why = check_links(doc, prose, root)
        tap.result(ok, f'{doc.relative_to(root)}: links resolve', why)
        for block in blocks:
            name = block.name(root)
            if block.orphan_output:
                tap.result(False, f'{name}: output', 'an output block with no complete program before it')
            if block.language in PROGRAM_LANGUAGES and block.fragment:
                ok, why = check_fragment(block, root)
                tap.result(ok, f'{name}: a fragment of {block.fragment}', why)
            elif block.language in PROGRAM_LANGUAGES:
                tap.result(True, f'{name}: a complete {block.language} program (see docs-{block.language})')
            elif block.fragment:
                tap.result(False, f'{name}: a fragment marker on a {block.language or "plain"} block')
            elif block.language not in OTHER_LANGUAGES:
                tap.result(False, f'{name}: a block of {block.language}',
                           'no test knows how to run it: tag programs c, python or js, '
                           'commands sh, anything else text (or teach check-docs.py the language)')
            elif block.language == 'sh':
                ok, why = check_shell(block, root)
                tap.result(ok, f'{name}: the shell commands name what exists', why)
    return tap.finish()


# run: the complete programs

def program_file(block, root, out_dir):
    stem = re.sub(r'[^\w]+', '-', str(block.doc.relative_to(root).with_suffix('')))
    path = out_dir / f'{stem}-{block.line}{PROGRAM_LANGUAGES[block.language]}'
    path.write_text(block.text, encoding='utf-8')
    return path


def command_for(block, path, options):
    if block.language == 'python':
        return [options.python or sys.executable, str(path)]
    if block.language == 'js':
        module = re.search(r'^import ', block.text, re.M)
        return [options.gjs] + (['-m'] if module else []) + [str(path)]
    executable = path.with_suffix('')
    flags = subprocess.run([options.pkg_config, '--cflags', '--libs', 'mpaio-1'], check=True,
                           capture_output=True, text=True,
                           env=dict(os.environ, PKG_CONFIG_PATH=str(
                               options.build_root / 'meson-uninstalled'))).stdout.split()
    compile_ = subprocess.run(options.cc + ['-Wall', '-Wextra', '-Wno-unused-parameter', '-Werror',
                                            '-o', str(executable), str(path)] + flags,
                              capture_output=True, text=True)
    if compile_.returncode != 0:
        raise RuntimeError(f'{" ".join(compile_.args)}\n{compile_.stderr}')
    return [str(executable)]


def run_one(block, options, out_dir):
    path = program_file(block, options.source_root, out_dir)
    try:
        command = command_for(block, path, options)
    except RuntimeError as error:
        return False, f'does not compile: {error}'
    try:
        process = subprocess.run(command, cwd=out_dir, capture_output=True, text=True,
                                 timeout=options.timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return False, f'{path} still ran after {options.timeout} s'
    if process.returncode != 0:
        return False, f'{path} exited with {process.returncode}\n{process.stderr}'
    if block.output is not None and process.stdout != block.output:
        return False, f'{path} printed:\n{process.stdout}\ninstead of:\n{block.output}'
    return True, ''


def run_command(options):
    tap = Tap()
    out_dir = options.build_root / 'docs-programs'
    out_dir.mkdir(exist_ok=True)
    for doc in documents(options.source_root):
        for block in parse(doc)[0]:
            if block.language == options.language and not block.fragment:
                shown = ' and prints what the doc shows' if block.output is not None else ''
                ok, why = run_one(block, options, out_dir)
                tap.result(ok, f'{block.name(options.source_root)} runs{shown}', why)
    if tap.n == 0:
        tap.result(False, f'no complete {options.language} program in the docs to run')
    return tap.finish()


# html: the generated reference

class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.links, self.titles, self.namespaces = set(), [], [], set()
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ('id', 'name'):
            if key in attrs and (key == 'id' or tag == 'a'):
                self.ids.add(attrs[key])
        for key in ('href', 'src'):
            if attrs.get(key) is not None:
                self.links.append(attrs[key])
        if 'data-namespace' in attrs:
            self.namespaces.add(attrs['data-namespace'])
        self._in_title = tag == 'title'

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.titles.append(data)


def html_command(options):
    tap, directory = Tap(), options.html_dir
    pages = {}
    for path in sorted(directory.rglob('*.html')):
        page = Page()
        page.feed(path.read_text(encoding='utf-8'))
        pages[path.resolve()] = page
    urlmap = (directory / 'urlmap.js').read_text(encoding='utf-8')
    mapped = set(re.findall(r"\[\s*'([\w.]+)'\s*,", urlmap))
    repository = options.browse_url.rstrip('/') + '/-/'

    def anchors(path):
        return pages[path].ids if path in pages else None

    tap.result((directory / 'index.html').exists(), f'{directory} holds a reference')
    for path, page in pages.items():
        wrong = []
        for title in page.titles:
            if '/n' in title or '\\n' in title or '#' in title:
                wrong.append(f'title {title!r}')
        wrong += [f'{ns}: not in urlmap.js' for ns in page.namespaces - mapped]
        for link in page.links:
            if link.startswith(repository):
                kind_and_path = link[len(repository):].split('#')[0]
                in_tree = re.sub(r'^(blob|tree)/[^/]+/', '', kind_and_path)
                if not (options.source_root / in_tree).exists():
                    wrong.append(f'{link}: no {in_tree} in the source tree')
                continue
            if not re.match(r'[a-z]+:|//', link):
                wrong.append(broken(link, path, anchors))
        wrong = [why for why in wrong if why]
        tap.result(not wrong, f'{path.relative_to(directory.resolve())}', '\n'.join(wrong))
    return tap.finish()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest='command', required=True)
    blocks = commands.add_parser('blocks')
    blocks.add_argument('source_root', type=Path)
    run = commands.add_parser('run')
    run.add_argument('language', choices=sorted(PROGRAM_LANGUAGES))
    run.add_argument('source_root', type=Path)
    run.add_argument('build_root', type=Path)
    run.add_argument('--python')
    run.add_argument('--gjs', default='gjs')
    run.add_argument('--pkg-config', default='pkg-config')
    run.add_argument('--cc', nargs='+', default=['cc'])
    run.add_argument('--timeout', type=float, default=120)
    html_ = commands.add_parser('html')
    html_.add_argument('html_dir', type=Path)
    html_.add_argument('source_root', type=Path)
    html_.add_argument('--browse-url', required=True)
    options = parser.parse_args()
    return {'blocks': blocks_command, 'run': run_command, 'html': html_command}[options.command](options)


if __name__ == '__main__':
    sys.exit(main())
