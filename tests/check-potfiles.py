#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every source file with translatable messages is in po/POTFILES.in."""

import re
import sys
from pathlib import Path

root = Path(sys.argv[1])
listed = {line.strip() for line in (root / 'po' / 'POTFILES.in').read_text().splitlines()
          if line.strip() and not line.startswith('#')}
missing = [str(path.relative_to(root)) for path in sorted([*(root / 'mpaio').glob('*.c'), *(root / 'mpaio-mpi').glob('*.c')])
           if re.search(r'\b(_|NG_)\s*\(\s*"', path.read_text())
           and str(path.relative_to(root)) not in listed]
stale = [name for name in sorted(listed) if not (root / name).exists()]

for name in missing:
    print(f'{name} has translatable messages but is not in po/POTFILES.in')
for name in stale:
    print(f'po/POTFILES.in lists {name}, which does not exist')
print(f'{len(listed)} files listed, {len(missing)} missing, {len(stale)} stale')
sys.exit(1 if missing or stale else 0)
