/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#define MPAIO_MPI_INSIDE
#include <mpaio.h>
#include "mpaio-mpi-executor.h"
#include "mpaio-mpi-serve.h"
#include "mpaio-mpi-version-macros.h"
#undef MPAIO_MPI_INSIDE
