/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The MPI transport receives a worker's large chunk bytes straight into the
 * place it is given (mpaio_mpi_place()), whether the place comes before the
 * bytes or after them, and keeps the events in order. Run as
 * `mpirun -np 2 test-mpi-place`: rank 0 plays the caller and sends, rank 1
 * the worker. Prints "ok" on rank 1 and exits 0 when all held. */
#include "config.h"

#include <string.h>

#include "mpaio-mpi-protocol-private.h"
#include "mpaio-mpi-transport-private.h"

#define LARGE (MPAIO_MPI_PLACE_MIN_SIZE + 4096)
#define TAG_READY 1
#define TAG_OTHER 2

static GBytes *
pattern (gsize size,
         guint8 seed)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i * 7 + seed);
  return g_bytes_new_take (data, size);
}

/* The next message event, with its tag. */
static MpaioMpiEvent *
next_message (MpaioMpiSink *sink,
              int           tag)
{
  MpaioMpiEvent *event;

  while ((event = mpaio_mpi_sink_pop (sink))->kind != MPAIO_MPI_EVENT_MESSAGE)
    mpaio_mpi_event_free (event);

  g_assert_cmpint (event->tag, ==, tag);
  return event;
}

static void
check_pattern (GBytes *bytes,
               gsize   size,
               guint8  seed)
{
  g_autoptr(GBytes) expected = pattern (size, seed);

  g_assert_nonnull (bytes);
  g_assert_true (g_bytes_equal (bytes, expected));
}

static void
caller (MpaioMpiSink *sink)
{
  guint endpoint = mpaio_mpi_connect_rank (sink, 1);
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);

  /* The worker has given its first place before the first bytes go. */
  mpaio_mpi_event_free (next_message (sink, TAG_READY));
  for (guint8 seed = 1; seed <= 2; seed++)
    {
      g_autoptr(GBytes) data = pattern (LARGE, seed);

      mpaio_mpi_send (endpoint, MPAIO_MPI_TAG_DATA, data);
    }
  mpaio_mpi_send (endpoint, TAG_OTHER, empty);

  /* Small bytes have a buffer of their own; a place of another size is
   * used up, and the bytes come in a buffer. */
  {
    g_autoptr(GBytes) small = pattern (100, 3);
    g_autoptr(GBytes) odd = pattern (LARGE + 8, 4);

    mpaio_mpi_send (endpoint, MPAIO_MPI_TAG_DATA, small);
    mpaio_mpi_send (endpoint, MPAIO_MPI_TAG_DATA, odd);
  }
  mpaio_mpi_event_free (next_message (sink, TAG_READY));
}

static void
worker (MpaioMpiSink *sink)
{
  guint endpoint = mpaio_mpi_connect_parent (sink, 0, 0, MPAIO_MPI_TAG_DATA);
  g_autofree guint8 *first = g_malloc (LARGE);
  g_autofree guint8 *second = g_malloc (LARGE);
  g_autofree guint8 *wrong = g_malloc (LARGE);
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  MpaioMpiEvent *event;

  /* Given before the bytes come: they arrive there, with no notice. */
  mpaio_mpi_place (endpoint, first, LARGE);
  mpaio_mpi_send (endpoint, TAG_READY, empty);
  event = next_message (sink, MPAIO_MPI_TAG_DATA);
  g_assert_true (g_bytes_get_data (event->bytes, NULL) == first);
  check_pattern (event->bytes, LARGE, 1);
  mpaio_mpi_event_free (event);

  /* None given: the bytes wait, and say so; nothing after them overtakes. */
  event = next_message (sink, MPAIO_MPI_TAG_DATA);
  g_assert_null (event->bytes);
  mpaio_mpi_event_free (event);
  mpaio_mpi_place (endpoint, second, LARGE);
  event = next_message (sink, MPAIO_MPI_TAG_DATA);
  g_assert_true (g_bytes_get_data (event->bytes, NULL) == second);
  check_pattern (event->bytes, LARGE, 2);
  mpaio_mpi_event_free (event);
  mpaio_mpi_event_free (next_message (sink, TAG_OTHER));

  event = next_message (sink, MPAIO_MPI_TAG_DATA);
  check_pattern (event->bytes, 100, 3);
  mpaio_mpi_event_free (event);

  mpaio_mpi_place (endpoint, wrong, LARGE);
  event = next_message (sink, MPAIO_MPI_TAG_DATA);
  while (event->bytes == NULL)
    {
      mpaio_mpi_event_free (event);
      event = next_message (sink, MPAIO_MPI_TAG_DATA);
    }
  g_assert_true (g_bytes_get_data (event->bytes, NULL) != wrong);
  check_pattern (event->bytes, LARGE + 8, 4);
  mpaio_mpi_event_free (event);

  mpaio_mpi_send (endpoint, TAG_READY, empty);
  g_print ("ok\n");
}

int
main (int   argc,
      char *argv[])
{
  MpaioMpiSink *sink = mpaio_mpi_sink_new (NULL, NULL, NULL);
  MpaioMpiRole role = mpaio_mpi_get_role ();

  if (role == MPAIO_MPI_ROLE_LAUNCHED_WORKER)
    worker (sink);
  else if (role == MPAIO_MPI_ROLE_ROOT)
    caller (sink);
  else
    {
      g_printerr ("Run this test as: mpirun -np 2 %s\n", argv[0]);
      return 77;
    }

  mpaio_mpi_finalize ();
  mpaio_mpi_sink_close (sink);
  return 0;
}
