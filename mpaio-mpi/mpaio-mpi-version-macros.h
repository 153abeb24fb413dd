/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(MPAIO_MPI_INSIDE) && !defined(MPAIO_MPI_COMPILATION)
# error "Only <mpaio-mpi.h> can be included directly."
#endif

#include <glib.h>

#ifndef _MPAIO_MPI_EXTERN
# define _MPAIO_MPI_EXTERN __attribute__((visibility("default"))) extern
#endif

#define MPAIO_MPI_AVAILABLE_IN_ALL _MPAIO_MPI_EXTERN
