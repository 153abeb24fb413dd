/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "mpaio-i18n-private.h"
#include "mpaio-process-pool-private.h"
#include "mpaio-shared-memory-private.h"
#include "mpaio-startup-private.h"
#include "mpaio-worker-process-private.h"

/* The process pool's transport: each peer of its dispatch is a worker
 * process (mpaio-worker-process.c), and the messages are mpaio-wire.c's. */

static MpaioWorkerProcess *
process_of (MpaioPeer *peer)
{
  return mpaio_peer_get_data (peer);
}

/* What the worker process reports */

static gpointer
hold_pool (gpointer user_data)
{
  return g_object_ref (mpaio_peer_get_dispatch (user_data)->base->owner);
}

/* A process that was started as a worker but made a pool of its own
 * instead of serving says so; the rest is the dispatch's. */
static gboolean
on_message (MpaioWorkerProcess  *process,
            MpaioMessage        *message,
            gpointer             user_data,
            GError             **error)
{
  if (message->kind != MPAIO_MESSAGE_NOT_SERVING)
    return mpaio_peer_receive (user_data, message, error);

  if (!mpaio_wire_not_serving_parse (message->body, error))
    return FALSE;

  mpaio_peer_abandon (user_data,
                      mpaio_startup_not_serving_error (mpaio_worker_process_get_pid (process)));
  return TRUE;
}

static void
on_read_done (MpaioWorkerProcess *process,
              gpointer            user_data)
{
  mpaio_dispatch_run (mpaio_peer_get_dispatch (user_data));
}

static void
on_failed (MpaioWorkerProcess *process,
           GError             *error,
           gpointer            user_data)
{
  mpaio_peer_abandon (user_data, error);
}

static void
on_lost (MpaioWorkerProcess *process,
         gpointer            user_data)
{
  mpaio_peer_lost (user_data);
}

static void
on_exited (MpaioWorkerProcess *process,
           gpointer            user_data)
{
  g_autofree char *exit_description = mpaio_worker_process_describe_exit (process);

  mpaio_peer_exited (user_data, exit_description);
}

static const MpaioWorkerProcessCallbacks process_callbacks = {
  .hold = hold_pool,
  .release = g_object_unref,
  .message = on_message,
  .read_done = on_read_done,
  .failed = on_failed,
  .lost = on_lost,
  .exited = on_exited,
};

/* The transport */

static gpointer
process_start (MpaioDispatch  *dispatch,
               MpaioPeer      *peer,
               GError        **error)
{
  MpaioProcessPool *self = dispatch->transport_data;

  if (!mpaio_startup_check_can_spawn (error))
    return NULL;

  return mpaio_worker_process_spawn ((const char * const *) self->argv, self->base.context,
                                     &process_callbacks, peer, error);
}

static void
process_send_memory (MpaioPeer         *peer,
                     MpaioSharedMemory *memory,
                     gboolean           output)
{
  MpaioWireMemory body = {
    mpaio_shared_memory_get_id (memory), mpaio_shared_memory_get_size (memory), output
  };

  mpaio_worker_process_send (process_of (peer), MPAIO_MESSAGE_MEMORY,
                             mpaio_wire_memory_build (&body), mpaio_shared_memory_get_fd (memory));
}

static void
process_forget_memory (MpaioPeer *peer,
                       guint64    memory_id)
{
  mpaio_worker_process_send (process_of (peer), MPAIO_MESSAGE_FORGET_MEMORY,
                             mpaio_wire_forget_memory_build (memory_id), -1);
}

static void
process_send_worker (MpaioPeer             *peer,
                     const MpaioWireWorker *worker)
{
  mpaio_worker_process_send (process_of (peer), MPAIO_MESSAGE_WORKER,
                             mpaio_wire_worker_build (worker), -1);
}

static void
process_forget_worker (MpaioPeer *peer,
                       guint32    worker_id)
{
  mpaio_worker_process_send (process_of (peer), MPAIO_MESSAGE_FORGET_WORKER,
                             mpaio_wire_forget_worker_build (worker_id), -1);
}

static void
process_send_bind (MpaioPeer           *peer,
                   const MpaioWireBind *bind)
{
  mpaio_worker_process_send (process_of (peer), MPAIO_MESSAGE_BIND,
                             mpaio_wire_bind_build (bind), -1);
}

static void
process_send_unbind (MpaioPeer *peer,
                     guint32    binding_id)
{
  mpaio_worker_process_send (process_of (peer), MPAIO_MESSAGE_UNBIND,
                             mpaio_wire_unbind_build (binding_id), -1);
}

static void
process_send_jobs (MpaioPeer              *peer,
                   const MpaioWireProcess *jobs)
{
  mpaio_worker_process_send (process_of (peer), MPAIO_MESSAGE_PROCESS,
                             mpaio_wire_process_build (jobs), -1);
}

static void
process_close (MpaioPeer *peer)
{
  mpaio_worker_process_close (process_of (peer));
}

static void
process_kill (MpaioPeer *peer)
{
  mpaio_worker_process_kill (process_of (peer));
}

/* A process reaped before its pid was read is named by its HELLO. */
static void
process_hello (MpaioPeer            *peer,
               const MpaioWireHello *hello)
{
  if (mpaio_worker_process_get_pid (process_of (peer)) == 0)
    mpaio_worker_process_set_pid (process_of (peer), hello->pid);
}

static char *
process_describe (MpaioPeer *peer)
{
  return g_strdup_printf (_("Worker process %d"), mpaio_worker_process_get_pid (process_of (peer)));
}

static char *
process_describe_output (MpaioPeer *peer)
{
  return mpaio_worker_process_describe_stderr (process_of (peer));
}

static GError *
process_startup_error (MpaioPeer  *peer,
                       const char *exit_description,
                       guint       n_failed_before)
{
  MpaioWorkerProcess *process = process_of (peer);
  g_autofree char *output = mpaio_worker_process_describe_stderr (process);

  return mpaio_startup_failed_error (mpaio_worker_process_get_subprocess (process),
                                     mpaio_worker_process_get_pid (process), exit_description,
                                     n_failed_before, output);
}

const MpaioTransport mpaio_process_transport = {
  .start = process_start,
  .free = (GDestroyNotify) mpaio_worker_process_free,
  .send_memory = process_send_memory,
  .forget_memory = process_forget_memory,
  .send_worker = process_send_worker,
  .forget_worker = process_forget_worker,
  .send_bind = process_send_bind,
  .send_unbind = process_send_unbind,
  .send_jobs = process_send_jobs,
  .close = process_close,
  .kill = process_kill,
  .hello = process_hello,
  .describe = process_describe,
  .describe_output = process_describe_output,
  .startup_error = process_startup_error,
};
