/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* Exports a private symbol from libmpaio, for Mpaio's own executor
 * libraries built in this tree (libmpaio-mpi-1). Such symbols are no API:
 * their headers are neither installed nor scanned for the GIR, and they
 * change with the tree. */
#define MPAIO_INTERNAL __attribute__((visibility("default"))) extern
