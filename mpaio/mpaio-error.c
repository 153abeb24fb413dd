/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "mpaio-error.h"

/**
 * mpaio_error_quark:
 *
 * Gets the error domain of Mpaio, [error@Mpaio.Error].
 *
 * Returns: the error quark
 */
G_DEFINE_QUARK (mpaio-error-quark, mpaio_error)
