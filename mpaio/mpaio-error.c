/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "mpaio-error.h"

G_DEFINE_QUARK (mpaio-error-quark, mpaio_error)
