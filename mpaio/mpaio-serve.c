/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <fcntl.h>
#include <inttypes.h>

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>

#include "mpaio-chunk-private.h"
#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-input-guard-private.h"
#include "mpaio-serve-private.h"
#include "mpaio-shared-memory-private.h"
#include "mpaio-util-private.h"
#include "mpaio-warm-private.h"
#include "mpaio-wire-private.h"
#include "mpaio-worker-private.h"

/* The worker process's side of the protocol: a plain blocking loop on the
 * main thread, since binding languages only run code there. Each chunk is
 * answered before the next message is read, so replies come back in the
 * order the pool sent the chunks. */

/* Shared by the worker table and the bindings made with it: the pool may
 * forget a worker while a binding still uses it. */
typedef struct
{
  MpaioWorker *worker;
  GError      *error;               /* why it could not be built */
} WorkerEntry;

typedef struct
{
  WorkerEntry       *entry;
  MpaioSharedMemory *memory;
  guint64            offset;
  gsize              element_size;
  char              *dtype;
  MpaioSharedMemory *output;
  gsize              output_element_size;
  MpaioChunk        *chunk;         /* reused while nobody else holds it */
} Binding;

/* Results are sent together: when no more work is waiting, when enough of
 * them pile up, or when the oldest has waited MAX_PENDING_USEC. The last
 * rule holds even while the next chunk runs for long, or forever: an outbox
 * thread sends what waits too long. Messages leave in order, one at a time,
 * under the outbox's lock. */
#define MAX_PENDING_RESULTS 64
#define MAX_PENDING_BYTES (32 * 1024)
#define MAX_PENDING_USEC 1000

typedef struct
{
  GMutex           lock;
  GCond            cond;
  GThread         *thread;
  int              fd;
  GArray          *ids;             /* MpaioResultId of the pending results */
  GPtrArray       *results;         /* GVariant of the pending results */
  gsize            results_size;
  gint64           busy_usec;       /* spent processing the pending results */
  gint64           pending_since;   /* when the oldest pending result was made */
  GError          *error;           /* the first send that failed */
  gboolean         quit;
} Outbox;

typedef struct
{
  guint8          *buffer;
  GHashTable      *memories;        /* id → MpaioSharedMemory */
  GHashTable      *workers;         /* id → WorkerEntry (g_rc_box) */
  GHashTable      *bindings;        /* id → Binding */
  Outbox           outbox;
  MpaioPopulate    populate;
  MpaioWarmer     *warmer;          /* input memories not populated yet */
} Server;

/* The server this process runs, for mpaio_serve_count_cached(). */
static Server *serving;

static void
worker_entry_clear (gpointer data)
{
  WorkerEntry *entry = data;

  g_clear_object (&entry->worker);
  g_clear_error (&entry->error);
}

static void
worker_entry_release (gpointer data)
{
  g_rc_box_release_full (data, worker_entry_clear);
}

static void
binding_free (gpointer data)
{
  Binding *binding = data;

  g_clear_object (&binding->chunk);
  g_clear_pointer (&binding->entry, worker_entry_release);
  g_clear_object (&binding->memory);
  g_clear_object (&binding->output);
  g_free (binding->dtype);
  g_free (binding);
}

/**
 * mpaio_is_worker_process:
 *
 * Tells whether this process was started by an [class@Mpaio.ProcessPool] to
 * be one of its workers.
 *
 * Returns: %TRUE in a worker process
 */
gboolean
mpaio_is_worker_process (void)
{
  return g_getenv (MPAIO_WORKER_ENV) != NULL;
}

/* With the outbox locked. */
static gboolean
outbox_send_locked (Outbox            *outbox,
                    MpaioMessageKind   kind,
                    GVariant          *body)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (body);
  g_autoptr(GBytes) packet = NULL;
  mpaio_autofd large_fd = -1;
  int errsv;

  if (outbox->error != NULL)
    return FALSE;

  if (!mpaio_wire_encode (kind, owned, &packet, &large_fd, &outbox->error))
    return FALSE;

  while ((errsv = mpaio_wire_send (outbox->fd, packet, large_fd)) == EAGAIN)
    {
      struct pollfd pfd = { outbox->fd, POLLOUT, 0 };

      poll (&pfd, 1, -1);
    }

  if (errsv != 0)
    {
      g_set_error (&outbox->error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not write to the pool: %s"), g_strerror (errsv));
      return FALSE;
    }

  return TRUE;
}

/* With the outbox locked. */
static gboolean
outbox_flush_locked (Outbox *outbox)
{
  GVariant *body;

  if (outbox->results->len == 0)
    return outbox->error == NULL;

  body = mpaio_wire_result_build (outbox->busy_usec, (const MpaioResultId *) outbox->ids->data,
                                  (GVariant * const *) outbox->results->pdata,
                                  outbox->results->len);
  g_array_set_size (outbox->ids, 0);
  g_ptr_array_set_size (outbox->results, 0);
  outbox->results_size = 0;
  outbox->busy_usec = 0;
  return outbox_send_locked (outbox, MPAIO_MESSAGE_RESULT, body);
}

static gboolean
outbox_check (Outbox  *outbox,
              gboolean ok,
              GError **error)
{
  if (!ok && outbox->error != NULL)
    g_propagate_error (error, g_error_copy (outbox->error));

  return ok;
}

/* Sends the pending results, then @body if any. */
static gboolean
outbox_send (Outbox            *outbox,
             MpaioMessageKind   kind,
             GVariant          *body,
             GError           **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&outbox->lock);
  gboolean ok = outbox_flush_locked (outbox);

  if (body != NULL)
    {
      if (ok)
        ok = outbox_send_locked (outbox, kind, body);
      else
        g_variant_unref (g_variant_ref_sink (body));
    }

  return outbox_check (outbox, ok, error);
}

static gboolean
outbox_add (Outbox    *outbox,
            guint32    binding_id,
            guint64    chunk_index,
            GVariant  *result,
            gint64     busy_usec,
            GError   **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&outbox->lock);
  gboolean ok = TRUE;

  MpaioResultId id = { binding_id, 0, chunk_index };

  if (outbox->results->len == 0)
    {
      outbox->pending_since = g_get_monotonic_time ();
      g_cond_signal (&outbox->cond);
    }

  g_array_append_val (outbox->ids, id);
  g_ptr_array_add (outbox->results, g_variant_ref (result));
  outbox->results_size += g_variant_get_size (result) + 24;
  outbox->busy_usec += busy_usec;

  if (outbox->results->len >= MAX_PENDING_RESULTS || outbox->results_size >= MAX_PENDING_BYTES ||
      g_get_monotonic_time () - outbox->pending_since >= MAX_PENDING_USEC)
    ok = outbox_flush_locked (outbox);

  return outbox_check (outbox, ok && outbox->error == NULL, error);
}

static gpointer
outbox_thread (gpointer data)
{
  Outbox *outbox = data;

  g_mutex_lock (&outbox->lock);
  while (!outbox->quit)
    {
      gint64 deadline = outbox->pending_since + MAX_PENDING_USEC;

      if (outbox->results->len == 0 || outbox->error != NULL)
        g_cond_wait (&outbox->cond, &outbox->lock);
      else if (g_get_monotonic_time () >= deadline)
        outbox_flush_locked (outbox);
      else
        g_cond_wait_until (&outbox->cond, &outbox->lock, deadline);
    }
  g_mutex_unlock (&outbox->lock);

  return NULL;
}

static void
outbox_init (Outbox *outbox,
             int     fd)
{
  g_mutex_init (&outbox->lock);
  g_cond_init (&outbox->cond);
  outbox->fd = fd;
  outbox->ids = g_array_new (FALSE, FALSE, sizeof (MpaioResultId));
  outbox->results = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  outbox->thread = g_thread_new ("mpaio-outbox", outbox_thread, outbox);
}

static void
outbox_clear (Outbox *outbox)
{
  g_mutex_lock (&outbox->lock);
  outbox->quit = TRUE;
  g_cond_signal (&outbox->cond);
  g_mutex_unlock (&outbox->lock);
  g_thread_join (g_steal_pointer (&outbox->thread));

  g_clear_pointer (&outbox->results, g_ptr_array_unref);
  g_clear_error (&outbox->error);
  g_clear_pointer (&outbox->ids, g_array_unref);
  g_mutex_clear (&outbox->lock);
  g_cond_clear (&outbox->cond);
  mpaio_clear_fd (&outbox->fd);
}

static MpaioChunk *
binding_get_chunk (Binding *binding,
                   guint64  index,
                   guint64  start,
                   guint64  end)
{
  if (binding->chunk == NULL || G_OBJECT (binding->chunk)->ref_count > 1)
    {
      g_clear_object (&binding->chunk);
      binding->chunk = mpaio_chunk_new (binding->memory, binding->offset, binding->element_size,
                                        binding->dtype, index, start, end);
      if (binding->output != NULL)
        mpaio_chunk_set_output (binding->chunk, binding->output, binding->output_element_size);
    }
  else
    {
      mpaio_chunk_set_range (binding->chunk, index, start, end);
    }

  return binding->chunk;
}

static GVariant *
process_chunk (Server   *server,
               Binding  *binding,
               guint64   chunk_index,
               guint64   start,
               guint64   end,
               GError  **error)
{
  WorkerEntry *entry = binding->entry;
  gsize size = mpaio_shared_memory_get_size (binding->memory);
  guint64 output_offset, output_length;
  MpaioChunk *chunk;
  GVariant *result;

  if (entry->error != NULL)
    {
      g_propagate_error (error, g_error_copy (entry->error));
      return NULL;
    }

  if (start > end || binding->offset > size ||
      end > (size - binding->offset) / binding->element_size ||
      (binding->output != NULL &&
       end > mpaio_shared_memory_get_size (binding->output) / binding->output_element_size))
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT,
                   _("Elements %" PRIu64 " to %" PRIu64
                     " are outside the memory"), start, end);
      return NULL;
    }

  chunk = binding_get_chunk (binding, chunk_index, start, end);
  if (server->populate == MPAIO_POPULATE_CHUNK)
    {
      gsize length;
      gconstpointer data = mpaio_chunk_get_data (chunk, &length);

      mpaio_populate (data, length);
    }

  if (binding->output == NULL)
    return mpaio_input_guard_process (entry->worker, chunk, error);

  /* Only the chunk's own output region is writable while it runs. */
  mpaio_chunk_get_output_range (chunk, &output_offset, &output_length);
  mpaio_shared_memory_allow_writes (binding->output, output_offset, output_length, TRUE);
  result = mpaio_input_guard_process (entry->worker, chunk, error);
  mpaio_shared_memory_allow_writes (binding->output, output_offset, output_length, FALSE);

  return result;
}

/* A result must fit in one message: the caller refuses larger ones. */
static void
result_too_large (GVariant **result,
                  GError   **error)
{
  g_autofree char *size = g_format_size_full (g_variant_get_size (*result), G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *limit = g_format_size_full (MPAIO_WIRE_MAX_RESULT, G_FORMAT_SIZE_IEC_UNITS | G_FORMAT_SIZE_LONG_FORMAT);

  g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_RESULT,
               _("The result is %s, over the limit of %s for a result from a worker process; "
                 "split the input into smaller chunks, or write the results to an output "
                 "memory (mpaio_orchestrator_add_with_output())"), size, limit);
  g_clear_pointer (result, g_variant_unref);
}

/* Answers every chunk of the batch, in order: a result, or an error. */
static gboolean
server_process (Server    *server,
                GVariant  *body,
                GError   **error)
{
  MpaioWireProcess process;
  Binding *binding;

  if (!mpaio_wire_process_parse (body, &process, error))
    return FALSE;

  binding = g_hash_table_lookup (server->bindings, GUINT_TO_POINTER (process.binding_id));
  if (binding == NULL)
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                   _("The pool asked for binding %u, which it never sent"), process.binding_id);
      return FALSE;
    }

  for (gsize i = 0; i < process.n_ranges; i++)
    {
      g_autoptr(GError) chunk_error = NULL;
      g_autoptr(GVariant) result = NULL;
      const MpaioWireRange *range = &process.ranges[i];
      gint64 begin = g_get_monotonic_time ();
      MpaioWireError reply;

      result = process_chunk (server, binding, range->chunk, range->start, range->end,
                              &chunk_error);
      if (result != NULL && g_variant_get_size (result) > MPAIO_WIRE_MAX_RESULT)
        result_too_large (&result, &chunk_error);

      if (result != NULL)
        {
          if (!outbox_add (&server->outbox, process.binding_id, range->chunk, result,
                           g_get_monotonic_time () - begin, error))
            return FALSE;
          continue;
        }

      reply = (MpaioWireError) {
        process.binding_id, range->chunk, g_quark_to_string (chunk_error->domain),
        chunk_error->code, chunk_error->message
      };
      if (!outbox_send (&server->outbox, MPAIO_MESSAGE_ERROR, mpaio_wire_error_build (&reply),
                        error))
        return FALSE;
      if (mpaio_input_guard_tripped ())
        mpaio_input_guard_hang_up (server->outbox.fd);
    }

  return TRUE;
}

static gboolean
server_add_memory (Server        *server,
                   MpaioMessage  *message,
                   GError       **error)
{
  MpaioSharedMemory *memory;
  MpaioWireMemory body;

  if (!mpaio_wire_memory_parse (message->body, &body, error) ||
      !(memory = mpaio_shared_memory_new_for_worker (g_steal_fd (&message->fd), body.size,
                                                     body.output, error)))
    return FALSE;

  if (server->populate == MPAIO_POPULATE_MAPPING && !body.output)
    mpaio_populate (mpaio_shared_memory_get_data (memory), body.size);
  else if (server->populate == MPAIO_POPULATE_IDLE && !body.output)
    mpaio_warmer_add (server->warmer, memory);

  g_hash_table_replace (server->memories, GSIZE_TO_POINTER (body.id), memory);
  return TRUE;
}

static void
server_forget_memory (Server  *server,
                      guint64  id)
{
  MpaioSharedMemory *memory = g_hash_table_lookup (server->memories, GSIZE_TO_POINTER (id));

  if (memory != NULL)
    mpaio_warmer_remove (server->warmer, memory);
  g_hash_table_remove (server->memories, GSIZE_TO_POINTER (id));
}

static gboolean
server_add_worker (Server    *server,
                   GVariant  *body,
                   GError   **error)
{
  g_auto(MpaioWireWorker) worker = { 0, NULL };
  WorkerEntry *entry;

  if (!mpaio_wire_worker_parse (body, &worker, error))
    return FALSE;

  /* A worker that cannot be built answers every chunk with the reason. */
  entry = g_rc_box_new0 (WorkerEntry);
  entry->worker = mpaio_worker_new_from_spec (worker.spec, &entry->error);
  g_hash_table_replace (server->workers, GUINT_TO_POINTER (worker.id), entry);
  return TRUE;
}

static gboolean
server_bind (Server    *server,
             GVariant  *body,
             GError   **error)
{
  Binding *binding;
  MpaioSharedMemory *memory, *output = NULL;
  WorkerEntry *entry;
  MpaioWireBind bind;

  if (!mpaio_wire_bind_parse (body, &bind, error))
    return FALSE;

  memory = g_hash_table_lookup (server->memories, GSIZE_TO_POINTER (bind.memory_id));
  if (bind.output_id != 0)
    output = g_hash_table_lookup (server->memories, GSIZE_TO_POINTER (bind.output_id));

  entry = g_hash_table_lookup (server->workers, GUINT_TO_POINTER (bind.worker_id));
  if (memory == NULL || (bind.output_id != 0 && output == NULL) || entry == NULL)
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                   _("The pool bound %u to a memory or worker it never sent"), bind.binding_id);
      return FALSE;
    }

  binding = g_new0 (Binding, 1);
  binding->entry = g_rc_box_acquire (entry);
  binding->memory = g_object_ref (memory);
  binding->offset = bind.offset;
  binding->element_size = bind.element_size;
  binding->dtype = g_strdup (bind.dtype);
  binding->output = output ? g_object_ref (output) : NULL;
  binding->output_element_size = bind.output_element_size;
  g_hash_table_replace (server->bindings, GUINT_TO_POINTER (bind.binding_id), binding);
  return TRUE;
}

static gboolean
server_handle (Server        *server,
               MpaioMessage  *message,
               GError       **error)
{
  guint64 id64;
  guint32 id;

  switch (message->kind)
    {
    case MPAIO_MESSAGE_PROCESS:
      return server_process (server, message->body, error);

    case MPAIO_MESSAGE_MEMORY:
      return server_add_memory (server, message, error);

    case MPAIO_MESSAGE_FORGET_MEMORY:
      if (!mpaio_wire_forget_memory_parse (message->body, &id64, error))
        return FALSE;
      server_forget_memory (server, id64);
      return TRUE;

    case MPAIO_MESSAGE_WORKER:
      return server_add_worker (server, message->body, error);

    case MPAIO_MESSAGE_FORGET_WORKER:
      if (!mpaio_wire_forget_worker_parse (message->body, &id, error))
        return FALSE;
      g_hash_table_remove (server->workers, GUINT_TO_POINTER (id));
      return TRUE;

    case MPAIO_MESSAGE_BIND:
      return server_bind (server, message->body, error);

    case MPAIO_MESSAGE_UNBIND:
      if (!mpaio_wire_unbind_parse (message->body, &id, error))
        return FALSE;
      g_hash_table_remove (server->bindings, GUINT_TO_POINTER (id));
      return TRUE;

    case MPAIO_MESSAGE_HELLO:
    case MPAIO_MESSAGE_RESULT:
    case MPAIO_MESSAGE_ERROR:
    case MPAIO_MESSAGE_LARGE:
    case MPAIO_MESSAGE_NOT_SERVING:
    case MPAIO_MESSAGE_LAST:
    default:
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                   _("The pool sent a message of kind %u, which only workers send"),
                   message->kind);
      return FALSE;
    }
}

/* Between runs (no binding left), populates input memories a slice at a
 * time until a message comes. Not during a run: a worker waiting for its
 * next chunks would take the processor from the others. */
static void
warm_until_message (Server *server,
                    int     fd)
{
  struct pollfd pfd = { fd, POLLIN, 0 };

  while (g_hash_table_size (server->bindings) == 0 && mpaio_warmer_step (server->warmer))
    if (poll (&pfd, 1, 0) != 0)
      return;
}

static int
take_channel (GError **error)
{
  const char *value = g_getenv (MPAIO_WORKER_ENV);
  guint64 fd;

  if (value == NULL || !g_ascii_string_to_unsigned (value, 10, 0, G_MAXINT, &fd, NULL))
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_FAILED,
                   _("This process was not started by an Mpaio process pool (%s is "
                     "not set), so it has nothing to serve"), MPAIO_WORKER_ENV);
      return -1;
    }

  /* Programs this worker starts are not workers, and do not inherit its
   * channel to the caller. */
  g_unsetenv (MPAIO_WORKER_ENV);
  fcntl (fd, F_SETFD, fcntl (fd, F_GETFD) | FD_CLOEXEC);
  return fd;
}

/**
 * mpaio_serve:
 * @error: return location for a #GError
 *
 * Serves chunks for the [class@Mpaio.ProcessPool] that started this
 * process, until the pool closes the channel. Call it only in a worker
 * process (see mpaio_is_worker_process()), after registering every worker
 * type the pool may send.
 *
 * Bindings use this, then exit: in Python,
 * `if Mpaio.is_worker_process(): sys.exit(0 if Mpaio.serve() else 1)`.
 * C programs call mpaio_serve_if_worker() instead.
 *
 * Returns: %TRUE when the pool closed the channel; %FALSE with @error set if
 *   this is not a worker process or the channel broke
 */
gboolean
mpaio_serve (GError **error)
{
  g_autofree guint8 *buffer = g_malloc (MPAIO_WIRE_MAX_INLINE);
  Server server = { .buffer = buffer };
  g_autoptr(GError) local_error = NULL;
  int fd;
  gboolean ok = FALSE;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((fd = take_channel (error)) < 0)
    return FALSE;

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  server.populate = mpaio_populate_mode ();
  server.warmer = mpaio_warmer_new ();
  mpaio_input_guard_install ();
  server.memories = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  server.workers = g_hash_table_new_full (NULL, NULL, NULL, worker_entry_release);
  server.bindings = g_hash_table_new_full (NULL, NULL, NULL, binding_free);
  outbox_init (&server.outbox, fd);
  serving = &server;

  if (!outbox_send (&server.outbox, MPAIO_MESSAGE_HELLO,
                    mpaio_wire_hello_build (&(MpaioWireHello) { MPAIO_PROTOCOL_VERSION, getpid () }),
                    &local_error))
    goto out;

  for (;;)
    {
      MpaioMessage message = { .fd = -1 };
      MpaioWireStatus status;
      gboolean handled;

      /* Send what is done before waiting for more. */
      status = mpaio_wire_receive (fd, server.buffer, FALSE, &message, &local_error);
      if (status == MPAIO_WIRE_WOULD_BLOCK)
        {
          if (!outbox_send (&server.outbox, 0, NULL, &local_error))
            goto out;
          warm_until_message (&server, fd);
          status = mpaio_wire_receive (fd, server.buffer, TRUE, &message, &local_error);
        }

      if (status == MPAIO_WIRE_CLOSED)
        break;
      if (status != MPAIO_WIRE_MESSAGE)
        goto out;

      handled = server_handle (&server, &message, &local_error);
      mpaio_message_clear (&message);
      if (!handled)
        goto out;
    }

  ok = TRUE;

out:
  /* The pool closed the channel as we wrote: it is done with us. */
  if (!ok &&
      (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) ||
       g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)))
    ok = TRUE;
  else if (!ok)
    g_propagate_error (error, g_steal_pointer (&local_error));

  serving = NULL;
  mpaio_warmer_free (server.warmer);
  outbox_clear (&server.outbox);
  g_hash_table_unref (server.bindings);
  g_hash_table_unref (server.workers);
  g_hash_table_unref (server.memories);
  return ok;
}

/* For tests, from a worker's process(): what this worker process
 * remembers. Zeros outside mpaio_serve(). */
void
mpaio_serve_count_cached (guint *n_memories,
                          guint *n_workers,
                          guint *n_bindings)
{
  *n_memories = serving ? g_hash_table_size (serving->memories) : 0;
  *n_workers = serving ? g_hash_table_size (serving->workers) : 0;
  *n_bindings = serving ? g_hash_table_size (serving->bindings) : 0;
}

/**
 * mpaio_serve_if_worker:
 *
 * Makes a C program usable as its own worker. In a worker process started
 * by an [class@Mpaio.ProcessPool], serves chunks until the pool is done and
 * then exits the process; elsewhere, returns at once.
 *
 * Call it early in `main`, after registering the worker types (with
 * g_type_ensure()) and before the program does anything a worker should
 * not do:
 *
 * ```c
 * int
 * main (int argc, char **argv)
 * {
 *   g_type_ensure (MY_TYPE_SUM_WORKER);
 *   mpaio_serve_if_worker ();
 *
 *   // only the caller gets here
 * }
 * ```
 *
 * Bindings call mpaio_serve() and exit in their own way, so that their
 * runtime shuts down cleanly.
 */
void
mpaio_serve_if_worker (void)
{
  g_autoptr(GError) error = NULL;

  if (!mpaio_is_worker_process ())
    return;

  if (!mpaio_serve (&error))
    {
      g_printerr ("mpaio worker %d: %s\n", (int) getpid (), error->message);
      exit (EXIT_FAILURE);
    }

  exit (EXIT_SUCCESS);
}
