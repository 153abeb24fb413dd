/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(MPAIO_INSIDE) && !defined(MPAIO_COMPILATION)
# error "Only <mpaio.h> can be included directly."
#endif

#include <glib.h>

#ifndef _MPAIO_EXTERN
# define _MPAIO_EXTERN __attribute__((visibility("default"))) extern
#endif

#define MPAIO_AVAILABLE_IN_ALL _MPAIO_EXTERN
#define MPAIO_AVAILABLE_IN_0_1 _MPAIO_EXTERN
