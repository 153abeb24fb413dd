/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(MPAIO_INSIDE) && !defined(MPAIO_COMPILATION)
# error "Only <mpaio.h> can be included directly."
#endif

#include <glib.h>

#include "mpaio-version.h"

/* How an application pins the API it uses, as GLib's GLIB_VERSION_* do:
 * symbols added after MPAIO_VERSION_MAX_ALLOWED warn where they are used,
 * and so do symbols deprecated in or before MPAIO_VERSION_MIN_REQUIRED.
 * Each release adds its MPAIO_VERSION_x_y and the two blocks below it. */

#ifndef _MPAIO_EXTERN
# define _MPAIO_EXTERN __attribute__((visibility("default"))) extern
#endif

/**
 * MPAIO_DEPRECATED:
 *
 * Marks a deprecated symbol: its use warns, unless
 * `MPAIO_DISABLE_DEPRECATION_WARNINGS` is defined.
 */

/**
 * MPAIO_DEPRECATED_FOR:
 * @f: the symbol to use instead
 *
 * Marks a deprecated symbol with its replacement: its use warns, naming @f,
 * unless `MPAIO_DISABLE_DEPRECATION_WARNINGS` is defined.
 */

/**
 * MPAIO_UNAVAILABLE:
 * @maj: the major version that adds the symbol
 * @min: the minor version that adds the symbol
 *
 * Marks a symbol added after %MPAIO_VERSION_MAX_ALLOWED: its use warns.
 */

/* Mpaio itself defines and calls its deprecated symbols without warnings. */
#if defined(MPAIO_DISABLE_DEPRECATION_WARNINGS) || defined(MPAIO_COMPILATION)
# define MPAIO_DEPRECATED _MPAIO_EXTERN
# define MPAIO_DEPRECATED_FOR(f) _MPAIO_EXTERN
# define MPAIO_UNAVAILABLE(maj,min) _MPAIO_EXTERN
#else
# define MPAIO_DEPRECATED G_DEPRECATED _MPAIO_EXTERN
# define MPAIO_DEPRECATED_FOR(f) G_DEPRECATED_FOR (f) _MPAIO_EXTERN
# define MPAIO_UNAVAILABLE(maj,min) G_UNAVAILABLE (maj, min) _MPAIO_EXTERN
#endif

/**
 * MPAIO_VERSION_0_1:
 *
 * The version 0.1 of Mpaio, for %MPAIO_VERSION_MIN_REQUIRED and
 * %MPAIO_VERSION_MAX_ALLOWED.
 */
#define MPAIO_VERSION_0_1 (G_ENCODE_VERSION (0, 1))

/**
 * MPAIO_VERSION_1_0:
 *
 * The version 1.0 of Mpaio, the first with a stable API, for
 * %MPAIO_VERSION_MIN_REQUIRED and %MPAIO_VERSION_MAX_ALLOWED.
 */
#define MPAIO_VERSION_1_0 (G_ENCODE_VERSION (1, 0))

/**
 * MPAIO_VERSION_CUR_STABLE:
 *
 * The version of the Mpaio headers, major and minor, encoded as the
 * `MPAIO_VERSION_x_y` macros are.
 */
#define MPAIO_VERSION_CUR_STABLE (G_ENCODE_VERSION (MPAIO_MAJOR_VERSION, MPAIO_MINOR_VERSION))

/**
 * MPAIO_VERSION_MIN_REQUIRED:
 *
 * The oldest Mpaio version the program supports, defined by the program
 * before it includes `mpaio.h`, to one of the `MPAIO_VERSION_x_y` macros.
 *
 * Symbols deprecated in that version or before it warn where they are used;
 * symbols deprecated after it do not, since the program still needs them for
 * the older versions. It defaults to %MPAIO_VERSION_CUR_STABLE.
 */
#ifndef MPAIO_VERSION_MIN_REQUIRED
# define MPAIO_VERSION_MIN_REQUIRED (MPAIO_VERSION_CUR_STABLE)
#endif

/**
 * MPAIO_VERSION_MAX_ALLOWED:
 *
 * The newest Mpaio version whose API the program may use, defined by the
 * program before it includes `mpaio.h`, to one of the `MPAIO_VERSION_x_y`
 * macros.
 *
 * Symbols added after that version warn where they are used, so a program
 * that must build against an older Mpaio learns it from newer headers. It
 * defaults to %MPAIO_VERSION_CUR_STABLE, or to %MPAIO_VERSION_MIN_REQUIRED
 * when that is newer.
 */
#ifndef MPAIO_VERSION_MAX_ALLOWED
# if MPAIO_VERSION_MIN_REQUIRED > MPAIO_VERSION_CUR_STABLE
#  define MPAIO_VERSION_MAX_ALLOWED (MPAIO_VERSION_MIN_REQUIRED)
# else
#  define MPAIO_VERSION_MAX_ALLOWED (MPAIO_VERSION_CUR_STABLE)
# endif
#endif

#if MPAIO_VERSION_MAX_ALLOWED < MPAIO_VERSION_MIN_REQUIRED
# error "MPAIO_VERSION_MAX_ALLOWED must be >= MPAIO_VERSION_MIN_REQUIRED"
#endif

/**
 * MPAIO_AVAILABLE_IN_ALL:
 *
 * Marks a symbol that every version of Mpaio has.
 */
#define MPAIO_AVAILABLE_IN_ALL _MPAIO_EXTERN

/**
 * MPAIO_DEPRECATED_IN_0_1:
 *
 * Marks a symbol deprecated in Mpaio 0.1: its use warns when
 * %MPAIO_VERSION_MIN_REQUIRED is 0.1 or later.
 */

/**
 * MPAIO_DEPRECATED_IN_0_1_FOR:
 * @f: the symbol to use instead
 *
 * Marks a symbol deprecated in Mpaio 0.1 in favour of @f: its use warns,
 * naming @f, when %MPAIO_VERSION_MIN_REQUIRED is 0.1 or later.
 */

/**
 * MPAIO_AVAILABLE_IN_0_1:
 *
 * Marks a symbol added in Mpaio 0.1: its use warns when
 * %MPAIO_VERSION_MAX_ALLOWED is older.
 */
#if MPAIO_VERSION_MIN_REQUIRED >= MPAIO_VERSION_0_1
# define MPAIO_DEPRECATED_IN_0_1 MPAIO_DEPRECATED
# define MPAIO_DEPRECATED_IN_0_1_FOR(f) MPAIO_DEPRECATED_FOR (f)
#else
# define MPAIO_DEPRECATED_IN_0_1 _MPAIO_EXTERN
# define MPAIO_DEPRECATED_IN_0_1_FOR(f) _MPAIO_EXTERN
#endif

#if MPAIO_VERSION_MAX_ALLOWED < MPAIO_VERSION_0_1
# define MPAIO_AVAILABLE_IN_0_1 MPAIO_UNAVAILABLE (0, 1)
#else
# define MPAIO_AVAILABLE_IN_0_1 _MPAIO_EXTERN
#endif

/**
 * MPAIO_DEPRECATED_IN_1_0:
 *
 * Marks a symbol deprecated in Mpaio 1.0: its use warns when
 * %MPAIO_VERSION_MIN_REQUIRED is 1.0 or later.
 */

/**
 * MPAIO_DEPRECATED_IN_1_0_FOR:
 * @f: the symbol to use instead
 *
 * Marks a symbol deprecated in Mpaio 1.0 in favour of @f: its use warns,
 * naming @f, when %MPAIO_VERSION_MIN_REQUIRED is 1.0 or later.
 */

/**
 * MPAIO_AVAILABLE_IN_1_0:
 *
 * Marks a symbol added in Mpaio 1.0: its use warns when
 * %MPAIO_VERSION_MAX_ALLOWED is older.
 */
#if MPAIO_VERSION_MIN_REQUIRED >= MPAIO_VERSION_1_0
# define MPAIO_DEPRECATED_IN_1_0 MPAIO_DEPRECATED
# define MPAIO_DEPRECATED_IN_1_0_FOR(f) MPAIO_DEPRECATED_FOR (f)
#else
# define MPAIO_DEPRECATED_IN_1_0 _MPAIO_EXTERN
# define MPAIO_DEPRECATED_IN_1_0_FOR(f) _MPAIO_EXTERN
#endif

#if MPAIO_VERSION_MAX_ALLOWED < MPAIO_VERSION_1_0
# define MPAIO_AVAILABLE_IN_1_0 MPAIO_UNAVAILABLE (1, 0)
#else
# define MPAIO_AVAILABLE_IN_1_0 _MPAIO_EXTERN
#endif
