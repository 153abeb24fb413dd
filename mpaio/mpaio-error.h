/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(MPAIO_INSIDE) && !defined(MPAIO_COMPILATION)
# error "Only <mpaio.h> can be included directly."
#endif

#include <glib-object.h>

#include "mpaio-version-macros.h"

G_BEGIN_DECLS

/**
 * MPAIO_ERROR:
 *
 * The error domain of Mpaio. Errors in this domain are from the
 * [error@Mpaio.Error] enumeration.
 */
#define MPAIO_ERROR (mpaio_error_quark ())

/**
 * MPAIO_TYPE_ERROR:
 *
 * The [alias@GObject.Type] of [error@Mpaio.Error], the enumeration of the
 * error codes.
 */
#define MPAIO_TYPE_ERROR (mpaio_error_get_type ())

/**
 * MpaioError:
 * @MPAIO_ERROR_FAILED: A failure that no other code describes.
 * @MPAIO_ERROR_INVALID_LAYOUT: A data iterator's layout is impossible: a zero
 *   element or chunk size, a start index past the end, a chunk range outside
 *   the array, or an array larger than its memory.
 * @MPAIO_ERROR_OUT_OF_RANGE: An access to a shared memory falls outside it.
 * @MPAIO_ERROR_NOT_SEALED: A memory that must be constant was not sealed.
 * @MPAIO_ERROR_READ_ONLY: A write was attempted on a sealed or read-only memory.
 * @MPAIO_ERROR_SEAL_FAILED: Sealing failed, for example because a writable
 *   mapping of the memory is still alive.
 * @MPAIO_ERROR_UNKNOWN_WORKER_TYPE: The worker type is not registered in the
 *   worker process, or does not implement [iface@Mpaio.Worker].
 * @MPAIO_ERROR_UNSERIALIZABLE_PROPERTY: A worker property cannot be sent to a
 *   worker process.
 * @MPAIO_ERROR_INVALID_RESULT: A worker returned no result without an error,
 *   or a result of the wrong type.
 * @MPAIO_ERROR_WORKER_FAILED: A worker reported an error while processing a
 *   chunk.
 * @MPAIO_ERROR_WORKER_CRASHED: A worker process died while processing a chunk,
 *   more often than the pool retries.
 * @MPAIO_ERROR_SPAWN_FAILED: A worker process could not be started or did not
 *   complete its handshake.
 * @MPAIO_ERROR_PROTOCOL: A worker process sent a message that breaks the
 *   protocol.
 * @MPAIO_ERROR_CLOSED: The executor was shut down.
 * @MPAIO_ERROR_TIMED_OUT: A chunk took longer than the pool's chunk timeout.
 * @MPAIO_ERROR_WRONG_CONTEXT: An executor was used from a main context other
 *   than the one it belongs to.
 * @MPAIO_ERROR_INPUT_CHANGED: An input memory or file changed size since it
 *   was attached or mapped, or could not be read.
 *
 * Error codes of the [error@Mpaio.Error] domain.
 */
typedef enum
{
  MPAIO_ERROR_FAILED,
  MPAIO_ERROR_INVALID_LAYOUT,
  MPAIO_ERROR_OUT_OF_RANGE,
  MPAIO_ERROR_NOT_SEALED,
  MPAIO_ERROR_READ_ONLY,
  MPAIO_ERROR_SEAL_FAILED,
  MPAIO_ERROR_UNKNOWN_WORKER_TYPE,
  MPAIO_ERROR_UNSERIALIZABLE_PROPERTY,
  MPAIO_ERROR_INVALID_RESULT,
  MPAIO_ERROR_WORKER_FAILED,
  MPAIO_ERROR_WORKER_CRASHED,
  MPAIO_ERROR_SPAWN_FAILED,
  MPAIO_ERROR_PROTOCOL,
  MPAIO_ERROR_CLOSED,
  MPAIO_ERROR_TIMED_OUT,
  MPAIO_ERROR_WRONG_CONTEXT,
  MPAIO_ERROR_INPUT_CHANGED,
} MpaioError;

MPAIO_AVAILABLE_IN_ALL
GQuark mpaio_error_quark (void);
MPAIO_AVAILABLE_IN_ALL
GType  mpaio_error_get_type (void) G_GNUC_CONST;

G_END_DECLS
