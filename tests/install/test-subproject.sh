#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds Mpaio as a meson subproject of a consumer whose GIR includes
# Mpaio-1 through the mpaio-1 dependency alone, then calls the consumer's
# typelib from Python.
#   test-subproject.sh SOURCE_DIR
set -euo pipefail

source_dir=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cp "$source_dir"/tests/install/subproject/* "$work"
mkdir "$work/subprojects"
ln -s "$source_dir" "$work/subprojects/mpaio"

if ! meson setup "$work/build" "$work" \
     -Dmpaio:introspection=enabled -Dmpaio:tests=false -Dmpaio:examples=false \
     -Dmpaio:benchmarks=false -Dmpaio:docs=disabled -Dmpaio:vapi=disabled \
     -Dmpaio:bindings=disabled -Dmpaio:gtk_example=disabled >"$work/setup.log" 2>&1; then
  sed 's/^/# /' "$work/setup.log"
  echo "not ok 1 the consumer configures with Mpaio as a subproject"
  exit 1
fi
echo "ok 1 the consumer configures with Mpaio as a subproject"

if ! meson compile -C "$work/build" >"$work/compile.log" 2>&1; then
  grep -v '^\[' "$work/compile.log" | sed 's/^/# /'
  echo "not ok 2 the consumer's GIR includes Mpaio-1 through the dependency"
  exit 1
fi
echo "ok 2 the consumer's GIR includes Mpaio-1 through the dependency"

export GI_TYPELIB_PATH=$work/build:$work/build/subprojects/mpaio/mpaio
export LD_LIBRARY_PATH=$work/build:$work/build/subprojects/mpaio/mpaio
/usr/bin/python3 -c "
import gi
gi.require_version('Consumer', '1')
from gi.repository import Consumer, Mpaio
memory = Consumer.make_memory(64)
assert isinstance(memory, Mpaio.SharedMemory), memory
print('# a', type(memory).__name__, 'of', memory.get_size(), 'bytes')
"
echo "ok 3 Python calls the consumer's typelib, which returns an Mpaio object"
echo "1..3"
