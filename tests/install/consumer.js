// SPDX-License-Identifier: LGPL-2.1-or-later
// The installed typelib and MpaioJs, from GJS.
import Mpaio from 'gi://Mpaio?version=1';
import System from 'system';

// MpaioJs, from the GJS_PATH the install test sets.
const MpaioJs = imports.mpaio;

const memory = Mpaio.SharedMemory.new(8);
memory.seal();
const dtype = MpaioJs.dtypeOf(new Float64Array(1));
print(`Mpaio ${Mpaio.MAJOR_VERSION}.${Mpaio.MINOR_VERSION}: sealed ${memory.is_sealed()}, ` +
    `MpaioJs: ${dtype}`);
System.exit(memory.is_sealed() && dtype === '<f8' ? 0 : 1);
