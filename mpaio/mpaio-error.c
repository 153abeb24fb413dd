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

/* The nicks are the names without the MPAIO_ERROR_ prefix, as glib-mkenums
 * would make them, so that bindings and GValue users see the same names. */
G_DEFINE_ENUM_TYPE (MpaioError, mpaio_error,
  G_DEFINE_ENUM_VALUE (MPAIO_ERROR_FAILED, "failed"),
  G_DEFINE_ENUM_VALUE (MPAIO_ERROR_INVALID_LAYOUT, "invalid-layout"),
  G_DEFINE_ENUM_VALUE (MPAIO_ERROR_OUT_OF_RANGE, "out-of-range"),
  G_DEFINE_ENUM_VALUE (MPAIO_ERROR_NOT_SEALED, "not-sealed"),
  G_DEFINE_ENUM_VALUE (MPAIO_ERROR_READ_ONLY, "read-only"),
  G_DEFINE_ENUM_VALUE (MPAIO_ERROR_SEAL_FAILED, "seal-failed"),
  G_DEFINE_ENUM_VALUE (MPAIO_ERROR_UNKNOWN_WORKER_TYPE, "unknown-worker-type"),
  G_DEFINE_ENUM_VALUE (MPAIO_ERROR_UNSERIALIZABLE_PROPERTY, "unserializable-property"),
  G_DEFINE_ENUM_VALUE (MPAIO_ERROR_INVALID_RESULT, "invalid-result"),
  G_DEFINE_ENUM_VALUE (MPAIO_ERROR_WORKER_FAILED, "worker-failed"),
  G_DEFINE_ENUM_VALUE (MPAIO_ERROR_WORKER_CRASHED, "worker-crashed"),
  G_DEFINE_ENUM_VALUE (MPAIO_ERROR_SPAWN_FAILED, "spawn-failed"),
  G_DEFINE_ENUM_VALUE (MPAIO_ERROR_PROTOCOL, "protocol"),
  G_DEFINE_ENUM_VALUE (MPAIO_ERROR_CLOSED, "closed"),
  G_DEFINE_ENUM_VALUE (MPAIO_ERROR_TIMED_OUT, "timed-out"),
  G_DEFINE_ENUM_VALUE (MPAIO_ERROR_WRONG_CONTEXT, "wrong-context"),
  G_DEFINE_ENUM_VALUE (MPAIO_ERROR_INPUT_CHANGED, "input-changed"))
