/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-mpi-endpoint-private.h"

/* An MPI error code as a GError of @error_code: @what, then MPI's words. */
GError *
mpaio_mpi_error_new_from_code (int         code,
                               int         error_code,
                               const char *what)
{
  char text[MPI_MAX_ERROR_STRING] = "";
  int length = 0;

  MPI_Error_string (code, text, &length);
  return g_error_new (MPAIO_ERROR, error_code, "%s: %s", what, text);
}

MpaioMpiEndpoint *
mpaio_mpi_endpoint_new (guint         id,
                        MpaioMpiSink *sink,
                        MPI_Comm      comm,
                        int           rank)
{
  MpaioMpiEndpoint *endpoint = g_new0 (MpaioMpiEndpoint, 1);

  endpoint->id = id;
  endpoint->sink = mpaio_mpi_sink_ref (sink);
  endpoint->comm = comm;
  endpoint->rank = rank;
  endpoint->last_send = g_get_monotonic_time ();
  endpoint->place_tag = -1;
  endpoint->held = MPI_MESSAGE_NULL;
  g_queue_init (&endpoint->places);
  return endpoint;
}

void
mpaio_mpi_endpoint_free (gpointer data)
{
  MpaioMpiEndpoint *endpoint = data;

  g_queue_clear_full (&endpoint->places, (GDestroyNotify) g_bytes_unref);
  g_clear_pointer (&endpoint->sink, mpaio_mpi_sink_unref);
  g_free (endpoint);
}

/* Where the next large message of the place tag goes (see mpaio_mpi_place()). */
void
mpaio_mpi_endpoint_add_place (MpaioMpiEndpoint *endpoint,
                              GBytes           *place)
{
  g_queue_push_tail (&endpoint->places, place);
}

static void
receive_into_buffer (MpaioMpiEndpoint *endpoint,
                     MPI_Message      *message,
                     int               tag,
                     int               count)
{
  guint8 *buffer = g_malloc (MAX (count, 1));

  MPI_Mrecv (buffer, count, MPI_BYTE, message, MPI_STATUS_IGNORE);
  mpaio_mpi_sink_push (endpoint->sink, MPAIO_MPI_EVENT_MESSAGE, endpoint->id, tag,
                       g_bytes_new_take (buffer, count), NULL);
}

/* The held message goes to the first place given, straight: the event's
 * bytes are the place. A place of the wrong size is used up, and the
 * message goes to a buffer, for the owner to see the sizes differ. */
static gboolean
receive_held (MpaioMpiEndpoint *endpoint)
{
  g_autoptr(GBytes) place = g_queue_pop_head (&endpoint->places);
  gsize size = 0;
  gpointer data;

  if (place == NULL)
    return FALSE;

  data = (gpointer) g_bytes_get_data (place, &size);
  if (size != (gsize) endpoint->held_count)
    {
      receive_into_buffer (endpoint, &endpoint->held, endpoint->place_tag, endpoint->held_count);
      return TRUE;
    }

  MPI_Mrecv (data, endpoint->held_count, MPI_BYTE, &endpoint->held, MPI_STATUS_IGNORE);
  endpoint->held = MPI_MESSAGE_NULL;
  mpaio_mpi_sink_push (endpoint->sink, MPAIO_MPI_EVENT_MESSAGE, endpoint->id, endpoint->place_tag,
                       g_steal_pointer (&place), NULL);
  return TRUE;
}

/* A large message of the place tag waits, matched, until its place is
 * given; nothing after it is received meanwhile, so that events keep
 * their order. If no place was given yet, the owner hears of it by an
 * event without bytes (and knows whether one is coming). */
static gboolean
hold (MpaioMpiEndpoint *endpoint,
      MPI_Message       message,
      int               count)
{
  endpoint->held = message;
  endpoint->held_count = count;
  if (g_queue_is_empty (&endpoint->places))
    {
      mpaio_mpi_sink_push (endpoint->sink, MPAIO_MPI_EVENT_MESSAGE, endpoint->id,
                           endpoint->place_tag, NULL, NULL);
      return TRUE;
    }

  return receive_held (endpoint);
}

static gboolean
receive_one (MpaioMpiEndpoint *endpoint)
{
  MPI_Message message = MPI_MESSAGE_NULL;
  MPI_Status status;
  int flag = 0, count = 0, rc;

  if (endpoint->held != MPI_MESSAGE_NULL)
    return receive_held (endpoint);

  rc = MPI_Improbe (endpoint->rank, MPI_ANY_TAG, endpoint->comm, &flag, &message, &status);
  if (rc != MPI_SUCCESS)
    {
      mpaio_mpi_sink_push (endpoint->sink, MPAIO_MPI_EVENT_FAILED, endpoint->id, 0, NULL,
                           mpaio_mpi_error_new_from_code (rc, MPAIO_ERROR_FAILED,
                                                          _("Could not receive from an MPI worker")));
      endpoint->failed = TRUE;
      return FALSE;
    }

  if (!flag)
    return FALSE;

  MPI_Get_count (&status, MPI_BYTE, &count);
  if (status.MPI_TAG == endpoint->place_tag && count >= MPAIO_MPI_PLACE_MIN_SIZE)
    return hold (endpoint, message, count);

  receive_into_buffer (endpoint, &message, status.MPI_TAG, count);
  return TRUE;
}

/* Receives up to @max_messages waiting messages, in order, as events.
 * Returns how many came, or -1 if receiving failed: a FAILED event went to
 * the sink and the endpoint is to be dropped. */
int
mpaio_mpi_endpoint_receive (MpaioMpiEndpoint *endpoint,
                            guint             max_messages)
{
  guint n = 0;

  while (n < max_messages && receive_one (endpoint))
    n++;

  return endpoint->failed ? -1 : (int) n;
}
