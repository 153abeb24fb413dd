// SPDX-License-Identifier: LGPL-2.1-or-later
// The installed typelib, from GJS.
import Mpaio from 'gi://Mpaio?version=1';
import System from 'system';

const memory = Mpaio.SharedMemory.new(8);
memory.seal();
print(`Mpaio ${Mpaio.MAJOR_VERSION}.${Mpaio.MINOR_VERSION}: sealed ${memory.is_sealed()}`);
System.exit(memory.is_sealed() ? 0 : 1);
