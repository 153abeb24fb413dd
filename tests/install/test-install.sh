#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Installs this build into a temporary prefix, then uses it as a consumer
# would: a C program built with `pkg-config mpaio-1`, and the typelib (and
# the Python overrides) from Python and GJS.
#   test-install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
# Everything but the TAP lines goes out as comments.

build_dir=$1
here=$2/tests/install
destdir=$(mktemp -d)
trap 'rm -rf "$destdir"' EXIT

meson install -C "$build_dir" --destdir "$destdir" --no-rebuild --quiet >/dev/null

# The value of a build option of the build being installed.
build_option() {
  meson introspect "$build_dir" --buildoptions |
    /usr/bin/python3 -c 'import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == sys.argv[1]))' "$1"
}

prefix=$(build_option prefix)
libdir=$(build_option libdir)
datadir=$(build_option datadir)
root=$destdir$prefix
[[ $libdir = /* ]] || libdir=$prefix/$libdir
[[ $datadir = /* ]] || datadir=$prefix/$datadir

# The files went to $destdir$prefix instead of $prefix: say so in the .pc.
sed -i "s|^prefix=.*|prefix=$root|" "$destdir$libdir/pkgconfig/mpaio-1.pc"
export PKG_CONFIG_PATH=$destdir$libdir/pkgconfig
export LD_LIBRARY_PATH=$destdir$libdir
export GI_TYPELIB_PATH=$destdir$libdir/girepository-1.0

echo "# pkg-config: mpaio-1 $(pkg-config --modversion mpaio-1)"
cc -o "$destdir/consumer" "$here/consumer.c" $(pkg-config --cflags --libs mpaio-1)
"$destdir/consumer" | sed 's/^/# /'
echo "ok 1 C program built with pkg-config mpaio-1"

if [ -e "$GI_TYPELIB_PATH/Mpaio-1.typelib" ]; then
  site=$(find "$root" -path '*/gi/overrides/Mpaio.py' -printf '%h\n' | head -n 1)
  if [ -n "$site" ]; then
    PYTHONPATH=${site%/gi/overrides} /usr/bin/python3 "$here/consumer.py" | sed 's/^/# /'
    echo "ok 2 Python worker with the installed typelib and overrides"
  else
    /usr/bin/python3 -c "import gi; gi.require_version('Mpaio', '1'); from gi.repository import Mpaio; Mpaio.SharedMemory.new(8)"
    echo "ok 2 Python with the installed typelib (the overrides are not built: -Dbindings=disabled)"
  fi
  GJS_PATH=$destdir$datadir/gjs-1.0 gjs -m "$here/consumer.js" | sed 's/^/# /'
  echo "ok 3 GJS with the installed typelib and MpaioJs"
  echo "1..3"
else
  echo "1..1"
fi
