#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every property that has a getter (or setter) method says so in the GIR,
and the method names its property, so that bindings and the documentation
link the two.

  check-gir-accessors.py Mpaio-1.gir

A method is the getter of property `foo-bar` when it is named get_foo_bar,
is_foo_bar or foo_bar and takes no argument; the setter is set_foo_bar.
Output is TAP, one line per class or interface."""

import sys
import xml.etree.ElementTree as ET

CORE = '{http://www.gtk.org/introspection/core/1.0}'
GLIB = '{http://www.gtk.org/introspection/glib/1.0}'


def n_parameters(method):
    parameters = method.find(f'{CORE}parameters')
    if parameters is None:
        return 0
    return len(parameters.findall(f'{CORE}parameter'))


def accessor_problems(node):
    methods = {method.get('name'): method for method in node.findall(f'{CORE}method')}
    problems = []
    for prop in node.findall(f'{CORE}property'):
        name = prop.get('name')
        stem = name.replace('-', '_')
        getters = [m for m in (f'get_{stem}', f'is_{stem}', stem)
                   if m in methods and n_parameters(methods[m]) == 0]
        setter = f'set_{stem}'
        wanted = []
        if getters:
            wanted.append(('getter', getters[0], f'{GLIB}get-property'))
        if (setter in methods and prop.get('writable') == '1'
                and prop.get('construct-only') != '1'):
            wanted.append(('setter', setter, f'{GLIB}set-property'))
        for kind, method, back in wanted:
            if prop.get(kind) != method:
                problems.append(f'property {name} has no ({kind} {method})')
            if methods[method].get(back) != name:
                problems.append(f'method {method} has no ({back[len(GLIB):]} {name})')
    return problems


def main():
    root = ET.parse(sys.argv[1]).getroot()
    namespace = root.find(f'{CORE}namespace')
    nodes = namespace.findall(f'{CORE}class') + namespace.findall(f'{CORE}interface')
    failed = 0
    print(f'1..{len(nodes)}')
    for number, node in enumerate(nodes, 1):
        problems = accessor_problems(node)
        for problem in problems:
            print(f'# {node.get("name")}: {problem}')
        failed += bool(problems)
        print(f'{"not ok" if problems else "ok"} {number} {node.get("name")}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
