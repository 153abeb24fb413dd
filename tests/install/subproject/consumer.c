/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "consumer.h"

/**
 * consumer_make_memory:
 * @size: the size in bytes
 * @error: return location for an error
 *
 * Makes a shared memory, as a library built on Mpaio would.
 *
 * Returns: (transfer full): a memory of @size bytes
 */
MpaioSharedMemory *
consumer_make_memory (gsize    size,
                      GError **error)
{
  return mpaio_shared_memory_new (size, error);
}
