/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpaio-chunk-private.h"
#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-mpi-protocol-private.h"
#include "mpaio-mpi-serve.h"
#include "mpaio-mpi-transport-private.h"
#include "mpaio-shared-memory-private.h"
#include "mpaio-util-private.h"
#include "mpaio-worker-private.h"

/* Results wait at most this long, or until this many are pending. */
#define MAX_RESULT_WAIT_USEC 1000
#define MAX_PENDING_RESULTS 64

typedef struct
{
  MpaioSharedMemory *memory;
  gboolean           mirror;        /* holds only the chunks sent to it */
} Memory;

typedef struct
{
  MpaioWorker *worker;
  GError      *error;               /* why the worker could not be built */
  Memory      *memory;
  guint64      offset;
  guint64      element_size;
  char        *dtype;
} Binding;

typedef struct
{
  MpaioMpiSink *sink;
  guint         endpoint;
  GHashTable   *memories;           /* id → Memory */
  GHashTable   *workers;            /* id → Binding holding only worker and error */
  GHashTable   *bindings;           /* id → Binding */

  GArray       *result_ids;         /* MpaioResultId */
  GPtrArray    *results;            /* GVariant */
  guint64       busy_usec;
  gint64        oldest_result;
} Server;

/**
 * mpaio_mpi_is_worker_process:
 *
 * Tells whether this process is a worker of an MPI executor: a rank above 0
 * of a job started by `mpirun` (or `srun`), or a process an
 * [class@MpaioMpi.Executor] spawned. It reads the launcher's environment and
 * does not start MPI.
 *
 * Returns: %TRUE in an MPI worker process
 */
gboolean
mpaio_mpi_is_worker_process (void)
{
  MpaioMpiRole role = mpaio_mpi_get_role ();

  return role == MPAIO_MPI_ROLE_LAUNCHED_WORKER || role == MPAIO_MPI_ROLE_SPAWNED_WORKER;
}

static void
memory_free (gpointer data)
{
  Memory *memory = data;

  g_clear_object (&memory->memory);
  g_free (memory);
}

static void
binding_free (gpointer data)
{
  Binding *binding = data;

  g_clear_object (&binding->worker);
  g_clear_error (&binding->error);
  g_free (binding->dtype);
  g_free (binding);
}

static void
server_flush (Server *server)
{
  if (server->results->len == 0)
    return;

  mpaio_mpi_send_body (server->endpoint, MPAIO_MESSAGE_RESULT,
               mpaio_wire_result_build (server->busy_usec,
                                        (const MpaioResultId *) server->result_ids->data,
                                        (GVariant * const *) server->results->pdata,
                                        server->results->len));
  g_array_set_size (server->result_ids, 0);
  g_ptr_array_set_size (server->results, 0);
  server->busy_usec = 0;
}

static void
server_add_result (Server   *server,
                   guint32   binding_id,
                   guint64   chunk,
                   GVariant *result,
                   guint64   busy_usec)
{
  MpaioResultId id = { binding_id, 0, chunk };

  if (server->results->len == 0)
    server->oldest_result = g_get_monotonic_time ();

  g_array_append_val (server->result_ids, id);
  g_ptr_array_add (server->results, g_variant_ref (result));
  server->busy_usec += busy_usec;

  if (server->results->len >= MAX_PENDING_RESULTS ||
      g_get_monotonic_time () - server->oldest_result >= MAX_RESULT_WAIT_USEC)
    server_flush (server);
}

static void
server_send_error (Server       *server,
                   guint32       binding_id,
                   guint64       chunk,
                   const GError *error)
{
  MpaioWireError body = {
    binding_id, chunk, g_quark_to_string (error->domain), error->code, error->message
  };

  server_flush (server);
  mpaio_mpi_send_body (server->endpoint, MPAIO_MESSAGE_ERROR, mpaio_wire_error_build (&body));
}

/* A memory on the caller's node is the caller's own: its fd, reopened
 * through /proc, mapped read-only. Elsewhere it is a sparse memfd of the
 * same size, into which each chunk's bytes are copied as they come. */
static MpaioSharedMemory *
open_memory (const MpaioMpiMemory  *body,
             GError               **error)
{
  g_autofree char *path = NULL;
  mpaio_autofd fd = -1;
  struct stat st;

  if (!body->local)
    return mpaio_shared_memory_new (body->size, error);

  path = g_strdup_printf ("/proc/%" PRIu64 "/fd/%" PRIu64, body->pid, body->fd);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) < 0 || (guint64) st.st_ino != body->inode)
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_FAILED,
                   _("A worker on the caller's node could not open its memory as %s: %s; "
                     "set the executor's local-mapping property to FALSE to send the bytes instead"),
                   path, fd < 0 ? g_strerror (errno) : _("another file"));
      return NULL;
    }

  return mpaio_shared_memory_new_for_worker (g_steal_fd (&fd), body->size, FALSE, error);
}

static gboolean
server_add_memory (Server    *server,
                   GVariant  *body,
                   GError   **error)
{
  MpaioMpiMemory parsed;
  Memory *memory;

  if (!mpaio_mpi_memory_parse (body, &parsed, error))
    return FALSE;

  memory = g_new0 (Memory, 1);
  memory->mirror = !parsed.local;
  if (!(memory->memory = open_memory (&parsed, error)))
    {
      memory_free (memory);
      return FALSE;
    }

  g_hash_table_replace (server->memories, GSIZE_TO_POINTER (parsed.id), memory);
  return TRUE;
}

static gboolean
server_add_worker (Server    *server,
                   GVariant  *body,
                   GError   **error)
{
  MpaioWireWorker worker = { 0 };
  Binding *entry;

  if (!mpaio_wire_worker_parse (body, &worker, error))
    return FALSE;

  /* A worker that cannot be built answers every chunk with the reason. */
  entry = g_new0 (Binding, 1);
  entry->worker = mpaio_worker_new_from_spec (worker.spec, &entry->error);
  g_hash_table_replace (server->workers, GUINT_TO_POINTER (worker.id), entry);
  mpaio_wire_worker_clear (&worker);
  return TRUE;
}

static gboolean
server_bind (Server    *server,
             GVariant  *body,
             GError   **error)
{
  MpaioWireBind bind = { 0 };
  Binding *binding, *entry;

  if (!mpaio_wire_bind_parse (body, &bind, error))
    return FALSE;

  entry = g_hash_table_lookup (server->workers, GUINT_TO_POINTER (bind.worker_id));
  binding = g_new0 (Binding, 1);
  binding->memory = g_hash_table_lookup (server->memories, GSIZE_TO_POINTER (bind.memory_id));
  if (entry == NULL || binding->memory == NULL || bind.output_id != 0)
    {
      binding_free (binding);
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                   _("The caller bound worker %u to memory %" PRIu64 ", which it never sent"),
                   bind.worker_id, bind.memory_id);
      return FALSE;
    }

  binding->worker = entry->worker != NULL ? g_object_ref (entry->worker) : NULL;
  binding->error = entry->error != NULL ? g_error_copy (entry->error) : NULL;
  binding->offset = bind.offset;
  binding->element_size = bind.element_size;
  binding->dtype = g_strdup (bind.dtype);
  g_hash_table_replace (server->bindings, GUINT_TO_POINTER (bind.binding_id), binding);
  return TRUE;
}

/* Whether elements @start to @end lie in the memory; @size is theirs. */
static gboolean
binding_fits (Binding *binding,
              guint64  start,
              guint64  end,
              gsize   *size)
{
  guint64 position = binding->offset + start * binding->element_size;
  gsize memory_size = mpaio_shared_memory_get_size (binding->memory->memory);

  *size = (end - start) * binding->element_size;
  return start <= end && position <= memory_size && *size <= memory_size - position;
}

/* Where the bytes of elements @start to @end go in a mirrored memory, or
 * NULL if they lie outside it. */
static guint8 *
binding_place (Binding *binding,
               guint64  start,
               guint64  end,
               gsize   *size)
{
  guint8 *data = mpaio_shared_memory_get_writable_data (binding->memory->memory);

  if (!binding_fits (binding, start, end, size) || !binding->memory->mirror || data == NULL)
    return NULL;

  return data + binding->offset + start * binding->element_size;
}

static gboolean
is_waiting_data (MpaioMpiEvent *event)
{
  return event->kind == MPAIO_MPI_EVENT_MESSAGE && event->tag == MPAIO_MPI_TAG_DATA &&
         event->bytes == NULL;
}

/* The bytes of a chunk of a mirrored memory come next, in a DATA message;
 * they go where the caller has them, so the chunk reads as it would there.
 * Large ones were received straight there (server_place()): those that
 * came before their place wait for it, and are said to. */
static gboolean
server_take_data (Server    *server,
                  guint8    *place,
                  gsize      size,
                  GError   **error)
{
  g_autoptr(MpaioMpiEvent) event = mpaio_mpi_sink_pop (server->sink);
  gboolean placed = place != NULL && size >= MPAIO_MPI_PLACE_MIN_SIZE;
  gsize received = G_MAXSIZE;
  gconstpointer data = NULL;

  while (placed && is_waiting_data (event))
    {
      mpaio_mpi_event_free (event);
      event = mpaio_mpi_sink_pop (server->sink);
    }

  if (event->kind == MPAIO_MPI_EVENT_MESSAGE && event->tag == MPAIO_MPI_TAG_DATA &&
      event->bytes != NULL)
    data = g_bytes_get_data (event->bytes, &received);

  if (received != size)
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                   _("The caller sent %zu bytes for a chunk of %zu"),
                   received == G_MAXSIZE ? 0 : received, size);
      return FALSE;
    }

  /* Outside the memory: process_chunk() says so. */
  if (place != NULL && data != place)
    memcpy (place, data, size);
  return TRUE;
}

/* Gives the transport the places of a batch's large chunks before their
 * bytes come, so that they are received there without a copy. */
static void
server_place (Server                 *server,
              Binding                *binding,
              const MpaioWireProcess *process)
{
  for (gsize i = 0; i < process->n_ranges; i++)
    {
      gsize size;
      guint8 *place = binding_place (binding, process->ranges[i].start, process->ranges[i].end,
                                     &size);

      if (place != NULL && size >= MPAIO_MPI_PLACE_MIN_SIZE)
        mpaio_mpi_place (server->endpoint, place, size);
    }
}

/* Gives the pages of a mirrored chunk back once it is processed. */
static void
release_data (Binding *binding,
              guint64  position,
              gsize    size)
{
  int fd = mpaio_shared_memory_get_fd (binding->memory->memory);

  fallocate (fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, position, size);
}

static GVariant *
process_chunk (Server   *server,
               Binding  *binding,
               guint64   index,
               guint64   start,
               guint64   end,
               GError  **error)
{
  guint64 position = binding->offset + start * binding->element_size;
  g_autoptr(MpaioChunk) chunk = NULL;
  GVariant *result;
  gsize size;

  if (binding->error != NULL)
    {
      g_propagate_error (error, g_error_copy (binding->error));
      return NULL;
    }

  if (!binding_fits (binding, start, end, &size))
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT,
                   _("Elements %" PRIu64 " to %" PRIu64 " are outside the memory"), start, end);
      return NULL;
    }

  chunk = mpaio_chunk_new (binding->memory->memory, binding->offset, binding->element_size,
                           binding->dtype, index, start, end);
  result = mpaio_worker_process (binding->worker, chunk, error);

  if (binding->memory->mirror)
    release_data (binding, position, size);

  return result;
}

static gboolean
server_process (Server    *server,
                GVariant  *body,
                GError   **error)
{
  MpaioWireProcess process = { 0 };
  guint32 binding_id;
  Binding *binding;

  if (!mpaio_wire_process_parse (body, &process, error))
    return FALSE;

  binding_id = process.binding_id;
  if (!(binding = g_hash_table_lookup (server->bindings, GUINT_TO_POINTER (binding_id))))
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                   _("The caller asked for binding %u, which it never sent"), binding_id);
      return FALSE;
    }

  if (binding->memory->mirror)
    server_place (server, binding, &process);

  for (gsize i = 0; i < process.n_ranges; i++)
    {
      g_autoptr(GError) chunk_error = NULL;
      g_autoptr(GVariant) result = NULL;
      guint64 index = process.ranges[i].chunk;
      guint64 start = process.ranges[i].start, end = process.ranges[i].end;
      gint64 begin;
      gsize size = 0;
      guint8 *place;

      if (binding->memory->mirror && start <= end)
        {
          place = binding_place (binding, start, end, &size);
          if (!server_take_data (server, place, size, error))
            return FALSE;
        }

      begin = g_get_monotonic_time ();
      result = process_chunk (server, binding, index, start, end, &chunk_error);
      if (result != NULL)
        server_add_result (server, binding_id, index, result, g_get_monotonic_time () - begin);
      else
        server_send_error (server, binding_id, index, chunk_error);
    }

  return TRUE;
}

static gboolean
server_handle (Server         *server,
               MpaioMpiEvent  *event,
               GError        **error)
{
  g_autoptr(GVariant) body = NULL;
  guint64 memory_id;
  guint32 id;

  if (!(body = mpaio_mpi_decode (event->tag, event->bytes, error)))
    return FALSE;

  switch (event->tag)
    {
    case MPAIO_MPI_TAG_MEMORY:
      return server_add_memory (server, body, error);
    case MPAIO_MESSAGE_WORKER:
      return server_add_worker (server, body, error);
    case MPAIO_MESSAGE_FORGET_MEMORY:
      if (!mpaio_wire_forget_memory_parse (body, &memory_id, error))
        return FALSE;
      g_hash_table_remove (server->memories, GSIZE_TO_POINTER (memory_id));
      return TRUE;
    case MPAIO_MESSAGE_BIND:
      return server_bind (server, body, error);
    case MPAIO_MESSAGE_UNBIND:
      if (!mpaio_wire_unbind_parse (body, &id, error))
        return FALSE;
      g_hash_table_remove (server->bindings, GUINT_TO_POINTER (id));
      return TRUE;
    case MPAIO_MESSAGE_PROCESS:
      return server_process (server, body, error);
    default:
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                   _("The caller sent a message of kind %d, which only workers send"), event->tag);
      return FALSE;
    }
}

/* Takes the next event; before waiting for one, sends the results that
 * are pending. */
static MpaioMpiEvent *
server_next (Server *server)
{
  MpaioMpiEvent *event = mpaio_mpi_sink_try_pop (server->sink);

  if (event != NULL)
    return event;

  server_flush (server);
  return mpaio_mpi_sink_pop (server->sink);
}

static gboolean
server_loop (Server  *server,
             GError **error)
{
  for (;;)
    {
      g_autoptr(MpaioMpiEvent) event = server_next (server);

      if (event->kind == MPAIO_MPI_EVENT_FAILED)
        {
          g_propagate_error (error, g_steal_pointer (&event->error));
          return FALSE;
        }

      if (event->kind != MPAIO_MPI_EVENT_MESSAGE)
        continue;

      if (event->tag == MPAIO_MPI_TAG_STOP)
        return TRUE;

      if (!server_handle (server, event, error))
        return FALSE;
    }
}

static void
server_hello (Server *server)
{
  g_autofree char *boot_id = mpaio_mpi_boot_id ();
  MpaioMpiHello hello = { MPAIO_MPI_PROTOCOL_VERSION, g_get_host_name (), getpid (), boot_id };

  mpaio_mpi_send_body (server->endpoint, MPAIO_MPI_TAG_HELLO, mpaio_mpi_hello_build (&hello));
  mpaio_mpi_send_body (server->endpoint, MPAIO_MESSAGE_HELLO,
               mpaio_wire_hello_build (&(MpaioWireHello) { MPAIO_PROTOCOL_VERSION, getpid () }));
}

/**
 * mpaio_mpi_serve:
 * @error: return location for a #GError
 *
 * Serves chunks in an MPI worker process until the executor stops it, then
 * finalizes MPI. Python and JavaScript programs call this when
 * [func@MpaioMpi.is_worker_process] says so, and then exit; C programs call
 * [func@MpaioMpi.serve_if_worker] instead.
 *
 * A failure that stops serving (a message that breaks the protocol) is
 * also sent to the caller, whose runs on this worker then fail with it.
 *
 * Returns: %TRUE when the executor stopped this worker; %FALSE with @error
 *   set if this is not an MPI worker process or serving failed
 */
gboolean
mpaio_mpi_serve (GError **error)
{
  Server server = { 0 };
  gboolean ok;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!mpaio_mpi_is_worker_process ())
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_FAILED,
                           _("This process is not an MPI worker: start it with mpirun, "
                             "or let an MpaioMpiExecutor spawn it"));
      return FALSE;
    }

  server.sink = mpaio_mpi_sink_new (NULL, NULL, NULL);
  server.endpoint = mpaio_mpi_connect_parent (server.sink, MPAIO_MPI_HEARTBEAT_MS,
                                              MPAIO_MPI_TAG_HEARTBEAT, MPAIO_MPI_TAG_DATA);
  server.memories = g_hash_table_new_full (NULL, NULL, NULL, memory_free);
  server.workers = g_hash_table_new_full (NULL, NULL, NULL, binding_free);
  server.bindings = g_hash_table_new_full (NULL, NULL, NULL, binding_free);
  server.result_ids = g_array_new (FALSE, FALSE, sizeof (MpaioResultId));
  server.results = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

  server_hello (&server);
  ok = server_loop (&server, error);
  if (!ok)
    mpaio_mpi_send_body (server.endpoint, MPAIO_MPI_TAG_FAILED,
                         mpaio_mpi_failed_build ((*error)->message));
  else
    server_flush (&server);

  /* MPI goes first: it may still receive into places in the memories.
   * The bindings hold memories: they go next. */
  mpaio_mpi_finalize ();
  g_hash_table_unref (server.bindings);
  g_hash_table_unref (server.workers);
  g_hash_table_unref (server.memories);
  g_array_unref (server.result_ids);
  g_ptr_array_unref (server.results);
  mpaio_mpi_sink_close (server.sink);

  return ok;
}

/**
 * mpaio_mpi_serve_if_worker:
 *
 * Makes a C program usable as its own MPI worker. In a rank above 0 of a
 * job started with `mpirun`, or in a process an [class@MpaioMpi.Executor]
 * spawned, serves chunks until the executor is done, then exits the
 * process; elsewhere (a plain program, or rank 0) returns at once, without
 * starting MPI.
 *
 * Call it early in `main`, after registering the worker types, as with
 * mpaio_serve_if_worker(); a program can call both.
 */
void
mpaio_mpi_serve_if_worker (void)
{
  g_autoptr(GError) error = NULL;

  if (!mpaio_mpi_is_worker_process ())
    return;

  if (!mpaio_mpi_serve (&error))
    {
      g_printerr ("%s: %s\n", g_get_prgname () ? g_get_prgname () : "mpaio-mpi-worker",
                  error->message);
      exit (1);
    }

  exit (0);
}
