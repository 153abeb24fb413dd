#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs cpu-plot with an SVG plot and a CSV file, and checks the SVG:
well-formed, 900 wide, one filled strip per core (the CSV's columns) and
one for the mean, and text drawn as outlines, so that every viewer shows
the same picture.

  check-cpu-plot.py CPU_PLOT PLOT.svg -- ARGS... --csv FILE ...

Output is TAP."""

import re
import subprocess
import sys
import xml.etree.ElementTree as ET

SVG = '{http://www.w3.org/2000/svg}'


def fill_opacity(element):
    style = dict(part.split(':', 1) for part in element.get('style', '').split(';') if ':' in part)
    return style.get('fill-opacity', element.get('fill-opacity'))


def main():
    program, plot, separator, *args = sys.argv[1:]
    assert separator == '--'
    csv = args[args.index('--csv') + 1]
    run = subprocess.run([program, *args, '--plot', plot], capture_output=True, text=True)
    for line in (run.stdout + run.stderr).splitlines():
        print(f'# {line}')
    if run.returncode != 0:
        print('not ok 1 cpu-plot ran\n1..1')
        return 1

    with open(csv) as f:
        n_cores = len(f.readline().strip().split(',')) - 1
    root = ET.parse(plot).getroot()
    strips = [e for e in root.iter() if fill_opacity(e) == '0.3']
    outlines = [e for e in root.iter(f'{SVG}symbol')] + [e for e in root.iter(f'{SVG}use')]
    checks = [
        ('cpu-plot ran', True),
        ('the plot is an SVG 900 wide', root.tag == f'{SVG}svg' and
         re.fullmatch(r'900(pt|px)?', root.get('width', '')) is not None),
        (f'one filled strip for each of the {n_cores} cores and one for the mean',
         len(strips) == n_cores + 1),
        ('the labels are drawn as outlines, not left to the viewer\'s fonts',
         root.find(f'.//{SVG}text') is None and len(outlines) > 0),
    ]
    failed = 0
    for number, (description, good) in enumerate(checks, 1):
        failed += not good
        print(f'{"ok" if good else "not ok"} {number} {description}')
    print(f'1..{len(checks)}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
