/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <glib-unix.h>
#include <gio/gunixinputstream.h>

#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-serve-private.h"
#include "mpaio-util-private.h"
#include "mpaio-worker-process-private.h"

#define STDERR_TAIL_SIZE 2048
#define STDERR_TAIL_LINES 8

typedef struct
{
  GBytes *packet;
  int     fd;                       /* owned, sent with the packet, or -1 */
} OutPacket;

/* A LARGE message being opened on a thread: its owner stops reading until
 * it is done, so that messages keep their order. */
typedef struct
{
  MpaioWorkerProcess *owner;        /* NULL once the owner is closed */
  MpaioMessage        message;
} LargeJob;

struct _MpaioWorkerProcess
{
  const MpaioWorkerProcessCallbacks *callbacks;
  gpointer                           user_data;
  GMainContext                      *context;

  GSubprocess      *subprocess;
  GCancellable     *cancellable;
  GPid              pid;

  int               fd;
  GSource          *in_source;
  GSource          *out_source;
  GQueue            out_queue;
  LargeJob         *large;

  int               stderr_fd;
  GSource          *stderr_source;
  GString          *stderr_tail;
};

static void
out_packet_free (OutPacket *out)
{
  g_bytes_unref (out->packet);
  mpaio_clear_fd (&out->fd);
  g_free (out);
}

static GSource *
attach_fd_source (MpaioWorkerProcess *self,
                  int                 fd,
                  GIOCondition        condition,
                  GSourceFunc         func,
                  const char         *name)
{
  GSource *source = g_unix_fd_source_new (fd, condition);

  g_source_set_callback (source, func, self, NULL);
  g_source_set_static_name (source, name);
  g_source_attach (source, self->context);
  return source;
}

GPid
mpaio_worker_process_get_pid (MpaioWorkerProcess *self)
{
  return self->pid;
}

GSubprocess *
mpaio_worker_process_get_subprocess (MpaioWorkerProcess *self)
{
  return self->subprocess;
}

/* The process may have been reaped before its pid was read: then its
 * HELLO names it. */
void
mpaio_worker_process_set_pid (MpaioWorkerProcess *self,
                              GPid                pid)
{
  self->pid = pid;
}

gboolean
mpaio_worker_process_is_open (MpaioWorkerProcess *self)
{
  return self->fd >= 0;
}

/* Closes the channel and forgets its sources; the process goes on until
 * it notices, or is killed. */
void
mpaio_worker_process_close (MpaioWorkerProcess *self)
{
  mpaio_destroy_source (&self->in_source);
  mpaio_destroy_source (&self->out_source);
  if (self->large != NULL)
    g_steal_pointer (&self->large)->owner = NULL;
  g_queue_clear_full (&self->out_queue, (GDestroyNotify) out_packet_free);
  mpaio_clear_fd (&self->fd);
}

void
mpaio_worker_process_kill (MpaioWorkerProcess *self)
{
  mpaio_worker_process_close (self);
  g_subprocess_force_exit (self->subprocess);
}

void
mpaio_worker_process_free (MpaioWorkerProcess *self)
{
  mpaio_worker_process_close (self);
  g_cancellable_cancel (self->cancellable);
  mpaio_destroy_source (&self->stderr_source);
  mpaio_clear_fd (&self->stderr_fd);
  if (self->stderr_tail != NULL)
    g_string_free (g_steal_pointer (&self->stderr_tail), TRUE);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->subprocess);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self);
}

/* Gives up on the process: kills it, then tells the owner why. */
static void
worker_process_fail (MpaioWorkerProcess *self,
                     GError             *error)
{
  mpaio_worker_process_kill (self);
  self->callbacks->failed (self, error, self->user_data);
}

/* The channel broke or closed from the other end: the process is dying or
 * broken. Make sure it goes; its exit tells the rest. */
static void
worker_process_lose (MpaioWorkerProcess *self)
{
  mpaio_worker_process_kill (self);
  self->callbacks->lost (self, self->user_data);
}

static gboolean
worker_process_flush (MpaioWorkerProcess *self)
{
  OutPacket *out;

  while ((out = g_queue_peek_head (&self->out_queue)))
    {
      int errsv = mpaio_wire_send (self->fd, out->packet, out->fd);

      if (errsv == EAGAIN)
        return FALSE;

      if (errsv == EPIPE || errsv == ECONNRESET)
        {
          worker_process_lose (self);
          return FALSE;
        }

      if (errsv != 0)
        {
          worker_process_fail (self, g_error_new (G_IO_ERROR, g_io_error_from_errno (errsv),
                                                  _("Could not write to worker process %d: %s"),
                                                  self->pid, g_strerror (errsv)));
          return FALSE;
        }

      out_packet_free (g_queue_pop_head (&self->out_queue));
    }

  return TRUE;
}

static gboolean
on_writable (int           fd,
             GIOCondition  condition,
             gpointer      user_data)
{
  MpaioWorkerProcess *self = user_data;

  if (!worker_process_flush (self) && self->fd >= 0)
    return G_SOURCE_CONTINUE;

  g_clear_pointer (&self->out_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* Sends a message built by mpaio-wire.c, or queues it while the socket is
 * full. @fd, if any, is duplicated: what it belongs to may go before the
 * message leaves the queue. */
void
mpaio_worker_process_send (MpaioWorkerProcess *self,
                           MpaioMessageKind    kind,
                           GVariant           *body,
                           int                 fd)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) owned_body = g_variant_ref_sink (body);
  OutPacket *out;

  if (self->fd < 0)
    return;

  out = g_new0 (OutPacket, 1);
  if (!mpaio_wire_encode (kind, owned_body, &out->packet, &out->fd, &error))
    {
      g_free (out);
      worker_process_fail (self, g_steal_pointer (&error));
      return;
    }
  if (out->fd < 0 && fd >= 0)
    out->fd = fcntl (fd, F_DUPFD_CLOEXEC, 3);

  g_queue_push_tail (&self->out_queue, out);

  if (self->out_source == NULL && !worker_process_flush (self) && self->fd >= 0)
    self->out_source = attach_fd_source (self, self->fd, G_IO_OUT, G_SOURCE_FUNC (on_writable),
                                         "[mpaio] worker output");
}

/* The buffer messages are received into: one per thread, since pools on
 * different threads read at the same time, and reused, since a packet is
 * decoded into its own bytes before the next is read. */
static guint8 *
receive_buffer (void)
{
  static GPrivate buffer = G_PRIVATE_INIT (g_free);
  guint8 *data = g_private_get (&buffer);

  if (data == NULL)
    g_private_set (&buffer, (data = g_malloc (MPAIO_WIRE_MAX_INLINE)));

  return data;
}

/* Hands a received message to the owner. */
static void
worker_process_deliver (MpaioWorkerProcess *self,
                        MpaioWireStatus     status,
                        MpaioMessage       *message,
                        GError             *error)
{
  g_autoptr(GError) local_error = error;

  if (status == MPAIO_WIRE_FAILED ||
      !self->callbacks->message (self, message, self->user_data, &local_error))
    worker_process_fail (self, g_error_new (MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                                            _("Worker process %d broke the protocol: %s"),
                                            self->pid, local_error->message));

  mpaio_message_clear (message);
}

static void worker_process_open_large (MpaioWorkerProcess *self,
                                       MpaioMessage       *message);

/* Reads one message: FALSE when there is nothing more to read now. */
static gboolean
worker_process_read_one (MpaioWorkerProcess *self)
{
  GError *error = NULL;
  MpaioMessage message = { .fd = -1 };
  MpaioWireStatus status;

  status = mpaio_wire_receive_packet (self->fd, receive_buffer (), &message, &error);

  if (status == MPAIO_WIRE_WOULD_BLOCK)
    return FALSE;

  if (status == MPAIO_WIRE_CLOSED)
    {
      worker_process_lose (self);
      return FALSE;
    }

  if (status == MPAIO_WIRE_MESSAGE && message.kind == MPAIO_MESSAGE_LARGE)
    {
      worker_process_open_large (self, &message);
      return FALSE;
    }

  worker_process_deliver (self, status, &message, error);
  return TRUE;
}

/* Reads every message that is ready, then tells the owner once. Reading
 * stops while a large message is opened, or for good. */
static gboolean
on_readable (int           fd,
             GIOCondition  condition,
             gpointer      user_data)
{
  MpaioWorkerProcess *self = user_data;
  const MpaioWorkerProcessCallbacks *callbacks = self->callbacks;
  gpointer held = callbacks->hold (self->user_data);
  gboolean keep = TRUE;

  while (self->fd >= 0 && self->large == NULL && worker_process_read_one (self))
    ;

  callbacks->read_done (self, self->user_data);

  if (self->fd < 0 || self->large != NULL)
    {
      g_clear_pointer (&self->in_source, g_source_unref);
      keep = FALSE;
    }

  /* The last reference to the owner may go here, and @self with it. */
  callbacks->release (held);
  return keep;
}

static void
worker_process_watch_input (MpaioWorkerProcess *self)
{
  self->in_source = attach_fd_source (self, self->fd, G_IO_IN, G_SOURCE_FUNC (on_readable),
                                      "[mpaio] worker input");
}

/* Large messages are validated away from the main context: about 20 ms
 * per MiB would stall it. */
static void
open_large_in_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  LargeJob *job = task_data;
  GError *error = NULL;

  if (mpaio_wire_open_large (&job->message, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_large_opened (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  LargeJob *job = user_data;
  MpaioWorkerProcess *self = job->owner;
  GError *error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);

  if (self == NULL)
    g_clear_error (&error);
  else
    {
      const MpaioWorkerProcessCallbacks *callbacks = self->callbacks;
      gpointer held = callbacks->hold (self->user_data);

      self->large = NULL;
      worker_process_deliver (self, ok ? MPAIO_WIRE_MESSAGE : MPAIO_WIRE_FAILED,
                              &job->message, error);
      if (self->fd >= 0 && self->in_source == NULL)
        worker_process_watch_input (self);
      callbacks->read_done (self, self->user_data);
      callbacks->release (held);
    }

  mpaio_message_clear (&job->message);
  g_free (job);
}

static void
worker_process_open_large (MpaioWorkerProcess *self,
                           MpaioMessage       *message)
{
  g_autoptr(GTask) task = NULL;
  LargeJob *job = g_new0 (LargeJob, 1);

  job->owner = self;
  job->message = *message;
  *message = (MpaioMessage) { .fd = -1 };
  self->large = job;

  g_main_context_push_thread_default (self->context);
  task = g_task_new (NULL, NULL, on_large_opened, job);
  g_main_context_pop_thread_default (self->context);
  g_task_set_source_tag (task, worker_process_open_large);
  g_task_set_task_data (task, job, NULL);
  g_task_run_in_thread (task, open_large_in_thread);
}

/* Workers' standard error goes to the caller's, which may be a pipe
 * nobody reads, or one whose reader is gone: it must neither block the
 * caller's main context nor kill it with SIGPIPE. So a pipe or terminal is
 * opened again, non-blocking, as a file description of its own, for each
 * batch (the caller's fd 2 keeps its flags, and keeps no fd of ours); a
 * socket is written with send(). What it does not take at once is
 * dropped, and counted. */
static gsize n_dropped;

/* write(), with SIGPIPE blocked on this thread and a SIGPIPE it raised
 * taken back, as GIO does. */
static gssize
write_without_sigpipe (int         fd,
                       const char *data,
                       gsize       size)
{
  struct timespec zero = { 0, 0 };
  sigset_t pipe_set, old_mask, pending;
  gboolean was_pending;
  gssize n;
  int errsv;

  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  sigpending (&pending);
  was_pending = sigismember (&pending, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &pipe_set, &old_mask);

  do
    n = write (fd, data, size);
  while (n < 0 && errno == EINTR);
  errsv = errno;

  if (n < 0 && errsv == EPIPE && !was_pending)
    while (sigtimedwait (&pipe_set, NULL, &zero) < 0 && errno == EINTR)
      ;

  pthread_sigmask (SIG_SETMASK, &old_mask, NULL);
  errno = errsv;
  return n;
}

static gssize
pass_through_once (const char *data,
                   gsize       size)
{
  mpaio_autofd fd = -1;
  struct stat st;

  if (fstat (STDERR_FILENO, &st) < 0)
    return -1;

  if (S_ISSOCK (st.st_mode))
    return send (STDERR_FILENO, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);

  if (!S_ISFIFO (st.st_mode) && !S_ISCHR (st.st_mode))
    return write_without_sigpipe (STDERR_FILENO, data, size);

  /* No reader at all: ENXIO. */
  if ((fd = open ("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) < 0)
    return -1;

  return write_without_sigpipe (fd, data, size);
}

static void
pass_through (const char *data,
              gsize       size)
{
  gssize n = pass_through_once (data, size);

  if (n < (gssize) size)
    {
      gsize dropped = size - MAX (n, 0);
      gsize total = (gsize) g_atomic_pointer_add (&n_dropped, dropped) + dropped;

      g_debug ("Dropped %" G_GSIZE_FORMAT " bytes of workers' standard error that this "
               "process's standard error did not take (%" G_GSIZE_FORMAT " so far)",
               dropped, total);
    }
}

/* How many bytes of workers' standard error were dropped so far. */
guint64
mpaio_worker_process_get_stderr_dropped (void)
{
  return (gsize) g_atomic_pointer_get (&n_dropped);
}

static void
worker_process_drain_stderr (MpaioWorkerProcess *self)
{
  char buffer[4096];
  gssize n;

  if (self->stderr_fd < 0)
    return;

  while ((n = read (self->stderr_fd, buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR))
    {
      if (n <= 0)
        continue;

      /* Pass the worker's messages on, as if it wrote them itself. */
      pass_through (buffer, n);

      g_string_append_len (self->stderr_tail, buffer, n);
      if (self->stderr_tail->len > STDERR_TAIL_SIZE)
        g_string_erase (self->stderr_tail, 0, self->stderr_tail->len - STDERR_TAIL_SIZE);
    }

  if (n == 0)
    {
      mpaio_destroy_source (&self->stderr_source);
      mpaio_clear_fd (&self->stderr_fd);
    }
}

static gboolean
on_stderr (int           fd,
           GIOCondition  condition,
           gpointer      user_data)
{
  worker_process_drain_stderr (user_data);
  return G_SOURCE_CONTINUE;
}

static void
on_exited (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  MpaioWorkerProcess *self = user_data;
  const MpaioWorkerProcessCallbacks *callbacks;
  gpointer held;

  if (!g_subprocess_wait_finish (G_SUBPROCESS (object), result, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;  /* freed, with its owner */

  /* The owner may free @self when it hears of the exit. */
  callbacks = self->callbacks;
  held = callbacks->hold (self->user_data);
  mpaio_worker_process_close (self);
  worker_process_drain_stderr (self);
  callbacks->exited (self, self->user_data);
  callbacks->release (held);
}

char *
mpaio_worker_process_describe_stderr (MpaioWorkerProcess *self)
{
  const char *tail = self->stderr_tail->str;
  const char *p = tail + self->stderr_tail->len;
  guint lines = 0;

  while (p > tail && (p[-1] == '\n' || p[-1] == ' '))
    p--;
  if (p == tail)
    return g_strdup (_("its standard error was empty"));

  for (const char *q = p; q > tail; q--)
    if (q[-1] == '\n' && ++lines == STDERR_TAIL_LINES)
      {
        tail = q;
        break;
      }

  return g_strdup_printf (_("its standard error ended with:\n%.*s"), (int) (p - tail), tail);
}

char *
mpaio_worker_process_describe_exit (MpaioWorkerProcess *self)
{
  if (g_subprocess_get_if_signaled (self->subprocess))
    {
      int sig = g_subprocess_get_term_sig (self->subprocess);

      return g_strdup_printf (_("was killed by signal %d (%s)"), sig, g_strsignal (sig));
    }

  return g_strdup_printf (_("exited with status %d"),
                          g_subprocess_get_exit_status (self->subprocess));
}

/* Spawning */

static void
child_setup (gpointer user_data)
{
  pid_t parent = GPOINTER_TO_INT (user_data);

  /* Die with the parent, and keep out of its terminal's signals. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  setpgid (0, 0);
  if (getppid () != parent)
    _exit (127);
}

/* The program again, with its own command line: /proc/self/exe is the
 * program (the interpreter, for a script), not what started it. The MPI
 * executor's spawned workers run this too. */
char **
mpaio_current_command_line (GError **error)
{
  g_autofree char *exe = NULL;
  g_autofree char *cmdline = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  gsize length;

  if (!(exe = g_file_read_link ("/proc/self/exe", error)) ||
      !g_file_get_contents ("/proc/self/cmdline", &cmdline, &length, error))
    return NULL;

  g_strv_builder_add (builder, exe);
  for (gsize at = strlen (cmdline) + 1; at < length; at += strlen (cmdline + at) + 1)
    g_strv_builder_add (builder, cmdline + at);

  return g_strv_builder_end (builder);
}

/* A SOCK_SEQPACKET socketpair: [0] for the parent, [1] for the child. */
static gboolean
make_channel (int      fds[2],
              GError **error)
{
  int errsv;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) >= 0)
    return TRUE;

  errsv = errno;
  g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED,
               _("Could not make a channel for a worker process: %s"), g_strerror (errsv));
  return FALSE;
}

/* Starts @argv with @child_fd as its channel, its stderr on a pipe. */
static GSubprocess *
launch (const char * const  *argv,
        int                  child_fd,
        GError             **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *fd_string = g_strdup_printf ("%d", MPAIO_WORKER_CHANNEL_FD);
  g_autofree char *program = NULL;
  g_autoptr(GString) reason = NULL;
  GSubprocess *subprocess;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, MPAIO_WORKER_ENV, fd_string, TRUE);
  g_subprocess_launcher_take_fd (launcher, child_fd, MPAIO_WORKER_CHANNEL_FD);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, GINT_TO_POINTER (getpid ()), NULL);

  if ((subprocess = g_subprocess_launcher_spawnv (launcher, argv, &local_error)))
    return subprocess;

  /* GLib's words quote the program too. */
  program = mpaio_ellipsize (argv[0]);
  reason = g_string_new (local_error->message);
  g_string_replace (reason, argv[0], program, 0);
  g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED,
               _("Could not start the worker program “%s”: %s"), program, reason->str);
  return NULL;
}

/* Passes the worker's stderr through, through a non-blocking copy of the
 * pipe's fd. */
static void
watch_stderr (MpaioWorkerProcess *self)
{
  GInputStream *pipe = g_subprocess_get_stderr_pipe (self->subprocess);
  int fd = g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (pipe));

  self->stderr_tail = g_string_new (NULL);
  self->stderr_fd = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  g_unix_set_fd_nonblocking (self->stderr_fd, TRUE, NULL);
  self->stderr_source = attach_fd_source (self, self->stderr_fd, G_IO_IN,
                                          G_SOURCE_FUNC (on_stderr), "[mpaio] worker stderr");
  g_input_stream_close (pipe, NULL, NULL);
}

/* Spawns a worker process running @argv, or the current program again
 * when @argv is %NULL; @callbacks must outlive it. */
MpaioWorkerProcess *
mpaio_worker_process_spawn (const char * const                *argv,
                            GMainContext                      *context,
                            const MpaioWorkerProcessCallbacks *callbacks,
                            gpointer                           user_data,
                            GError                           **error)
{
  g_auto(GStrv) rerun_argv = NULL;
  mpaio_autofd parent_fd = -1;
  MpaioWorkerProcess *self;
  GSubprocess *subprocess;
  const char *identifier;
  int fds[2];

  if (argv == NULL && (argv = (const char * const *) (rerun_argv = mpaio_current_command_line (error))) == NULL)
    return NULL;

  if (!make_channel (fds, error))
    return NULL;
  parent_fd = fds[0];

  if (!(subprocess = launch (argv, fds[1], error)))
    return NULL;

  self = g_new0 (MpaioWorkerProcess, 1);
  self->callbacks = callbacks;
  self->user_data = user_data;
  self->context = g_main_context_ref (context);
  self->subprocess = subprocess;
  /* NULL once the process has been reaped: it may already be gone. */
  identifier = g_subprocess_get_identifier (subprocess);
  self->pid = identifier ? g_ascii_strtoll (identifier, NULL, 10) : 0;
  self->cancellable = g_cancellable_new ();
  self->fd = g_steal_fd (&parent_fd);
  g_queue_init (&self->out_queue);
  g_unix_set_fd_nonblocking (self->fd, TRUE, NULL);

  worker_process_watch_input (self);
  watch_stderr (self);
  g_subprocess_wait_async (subprocess, self->cancellable, on_exited, self);

  g_debug ("Spawned worker process %d", self->pid);
  return self;
}
