/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "mpaio-mpi-transport-private.h"

/* Where the MPI thread leaves events for their owner: a queue, and a
 * source on the owner's main context woken once per batch. */
struct _MpaioMpiSink
{
  gatomicrefcount   ref_count;
  GAsyncQueue      *events;
  GMainContext     *context;
  GSource          *source;
  MpaioMpiSinkFunc  func;
  gpointer          user_data;
  gint              wake_pending;   /* atomic */
  gint              closed;         /* atomic */
};

static gboolean
sink_source_dispatch (GSource     *source,
                      GSourceFunc  callback,
                      gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs sink_source_funcs = {
  .dispatch = sink_source_dispatch,
};

static gboolean
on_sink_wake (gpointer user_data)
{
  MpaioMpiSink *sink = user_data;
  MpaioMpiEvent *event;
  gboolean handled = FALSE;

  g_source_set_ready_time (sink->source, -1);
  g_atomic_int_set (&sink->wake_pending, FALSE);

  while (!g_atomic_int_get (&sink->closed) && (event = g_async_queue_try_pop (sink->events)))
    {
      sink->func (event, sink->user_data);
      mpaio_mpi_event_free (event);
      handled = TRUE;
    }

  /* And once more, with no event, at the end of the batch. */
  if (handled && !g_atomic_int_get (&sink->closed))
    sink->func (NULL, sink->user_data);

  return G_SOURCE_CONTINUE;
}

MpaioMpiSink *
mpaio_mpi_sink_new (GMainContext     *context,
                    MpaioMpiSinkFunc  func,
                    gpointer          user_data)
{
  MpaioMpiSink *sink = g_new0 (MpaioMpiSink, 1);

  g_atomic_ref_count_init (&sink->ref_count);
  sink->events = g_async_queue_new_full ((GDestroyNotify) mpaio_mpi_event_free);
  sink->func = func;
  sink->user_data = user_data;

  if (context != NULL)
    {
      sink->context = g_main_context_ref (context);
      sink->source = g_source_new (&sink_source_funcs, sizeof (GSource));
      g_source_set_callback (sink->source, on_sink_wake, sink, NULL);
      g_source_set_static_name (sink->source, "[mpaio] MPI events");
      g_source_attach (sink->source, context);
    }

  return sink;
}

MpaioMpiSink *
mpaio_mpi_sink_ref (MpaioMpiSink *sink)
{
  g_atomic_ref_count_inc (&sink->ref_count);
  return sink;
}

void
mpaio_mpi_sink_unref (MpaioMpiSink *sink)
{
  if (!g_atomic_ref_count_dec (&sink->ref_count))
    return;

  if (sink->source != NULL)
    {
      g_source_destroy (sink->source);
      g_source_unref (sink->source);
    }
  g_clear_pointer (&sink->context, g_main_context_unref);
  g_async_queue_unref (sink->events);
  g_free (sink);
}

/* After this, the sink's function is never called again. On the sink's
 * context. */
void
mpaio_mpi_sink_close (MpaioMpiSink *sink)
{
  g_atomic_int_set (&sink->closed, TRUE);
  if (sink->source != NULL)
    g_source_destroy (sink->source);
  mpaio_mpi_sink_unref (sink);
}

MpaioMpiEvent *
mpaio_mpi_sink_pop (MpaioMpiSink *sink)
{
  return g_async_queue_pop (sink->events);
}

MpaioMpiEvent *
mpaio_mpi_sink_try_pop (MpaioMpiSink *sink)
{
  return g_async_queue_try_pop (sink->events);
}

void
mpaio_mpi_event_free (MpaioMpiEvent *event)
{
  g_clear_pointer (&event->bytes, g_bytes_unref);
  g_clear_error (&event->error);
  g_free (event);
}

/* From the MPI thread. */
void
mpaio_mpi_sink_push (MpaioMpiSink      *sink,
           MpaioMpiEventKind  kind,
           guint              endpoint,
           int                tag,
           GBytes            *bytes,
           GError            *error)
{
  MpaioMpiEvent *event = g_new0 (MpaioMpiEvent, 1);

  event->kind = kind;
  event->endpoint = endpoint;
  event->tag = tag;
  event->bytes = bytes;
  event->error = error;

  if (g_atomic_int_get (&sink->closed))
    {
      mpaio_mpi_event_free (event);
      return;
    }

  g_async_queue_push (sink->events, event);
  if (sink->source != NULL && g_atomic_int_compare_and_exchange (&sink->wake_pending, FALSE, TRUE))
    {
      g_source_set_ready_time (sink->source, 0);
      g_main_context_wakeup (sink->context);
    }
}

