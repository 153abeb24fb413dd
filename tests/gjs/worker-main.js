// SPDX-License-Identifier: LGPL-2.1-or-later
//
// An explicit worker program, for Mpaio.ProcessPool.new_for_argv(): it
// registers the worker classes of workers.js and serves; nothing else.
//
//   Mpaio.ProcessPool.new_for_argv(['gjs', '-m', '.../worker-main.js'], n)

import Mpaio from 'gi://Mpaio?version=1';
import System from 'system';

import './workers.js';

System.exit(Mpaio.serve() ? 0 : 1);
