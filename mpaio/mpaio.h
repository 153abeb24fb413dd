/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#define MPAIO_INSIDE
# include "mpaio-version.h"
# include "mpaio-version-macros.h"
# include "mpaio-error.h"
# include "mpaio-shared-memory.h"
# include "mpaio-data-iterator.h"
# include "mpaio-chunk.h"
# include "mpaio-worker.h"
# include "mpaio-executor.h"
# include "mpaio-process-pool.h"
# include "mpaio-thread-pool.h"
# include "mpaio-orchestrator.h"
# include "mpaio-cpu-monitor.h"
# include "mpaio-serve.h"
#undef MPAIO_INSIDE
