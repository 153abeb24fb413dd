/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <inttypes.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-input-guard-private.h"
#include "mpaio-shared-memory-private.h"

/* In a worker process, a fault on the input mapping while a chunk runs has
 * two causes worth a sentence rather than a signal number: the worker wrote
 * to the read-only input (SIGSEGV, SEGV_ACCERR), or the input shrank under
 * it (SIGBUS: an attached memory or a file is not sealed against that). The
 * handler jumps back to mpaio_input_guard_process(), which turns the fault
 * into the chunk's error. The worker code it jumped out of is abandoned
 * half-way (a binding's interpreter with it), so the worker runs no more
 * chunks: once the error is sent, it hangs up and exits. Other faults, and
 * faults on other threads, go to the handler that was there before, or kill
 * the process as they would have. */

typedef struct
{
  sigjmp_buf            env;
  volatile sig_atomic_t armed;
  guint64               memory_id;  /* the input the fields below describe */
  guintptr              start;      /* the input mapping, whole pages */
  gsize                 size;
  int                   fd;         /* the input's */
  gsize                 input_size;
  pthread_t             thread;
  int                   signal;
  guintptr              address;
  gboolean              tripped;
} Guard;

static Guard guard;
static struct sigaction previous_segv, previous_bus;

static void
forward (int        signal_number,
         siginfo_t *info,
         void      *ucontext)
{
  const struct sigaction *previous = signal_number == SIGBUS ? &previous_bus : &previous_segv;

  if ((previous->sa_flags & SA_SIGINFO) != 0 && previous->sa_sigaction != NULL)
    {
      previous->sa_sigaction (signal_number, info, ucontext);
      return;
    }

  if (previous->sa_handler != SIG_DFL && previous->sa_handler != SIG_IGN)
    {
      previous->sa_handler (signal_number);
      return;
    }

  /* Die of it, as without us: pending until the handler returns. */
  signal (signal_number, SIG_DFL);
  raise (signal_number);
}

static void
on_fault (int        signal_number,
          siginfo_t *info,
          void      *ucontext)
{
  guintptr address = (guintptr) info->si_addr;
  gboolean on_input = info->si_code > 0 && address - guard.start < guard.size &&
                      (signal_number == SIGBUS || info->si_code == SEGV_ACCERR);
  struct stat st;

  /* A binding may read the input through a mapping of its own (numpy
   * views do): a SIGBUS anywhere, once the input is shorter, is that. */
  if (signal_number == SIGBUS && info->si_code > 0 && !on_input && guard.armed)
    on_input = fstat (guard.fd, &st) == 0 && (guint64) st.st_size < guard.input_size;

  if (on_input && guard.armed && pthread_equal (pthread_self (), guard.thread))
    {
      guard.armed = 0;
      guard.signal = signal_number;
      guard.address = address;
      siglongjmp (guard.env, 1);
    }

  if (on_input && guard.armed)
    {
      static const char message[] =
        "Mpaio worker: a thread of the worker wrote to the read-only input, "
        "or read past its end after it shrank\n";

      if (write (STDERR_FILENO, message, sizeof message - 1) < 0)
        { /* nothing more can be done */ }
    }

  forward (signal_number, info, ucontext);
}

void
mpaio_input_guard_install (void)
{
  struct sigaction action = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO };
  static gboolean installed;

  if (installed)
    return;

  sigemptyset (&action.sa_mask);
  sigaction (SIGSEGV, &action, &previous_segv);
  sigaction (SIGBUS, &action, &previous_bus);
  installed = TRUE;
}

static GVariant *
report_fault (GError **error)
{
  guint64 offset = guard.address - guard.start;
  sigset_t faults;
  struct stat st;

  guard.tripped = TRUE;
  sigemptyset (&faults);
  sigaddset (&faults, guard.signal);
  pthread_sigmask (SIG_UNBLOCK, &faults, NULL);

  if (guard.signal == SIGSEGV)
    g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_READ_ONLY,
                 _("The worker wrote to the read-only input, at byte %" PRIu64
                   "; a worker must not change its input: return results, or "
                   "write them to an output memory"), offset);
  else if (fstat (guard.fd, &st) == 0 && (guint64) st.st_size < guard.input_size)
    g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_INPUT_CHANGED,
                 _("The input shrank from %zu to %" PRIu64 " bytes while the worker "
                   "read it; keep an attached memory or a file the same size while "
                   "a run uses it"),
                 guard.input_size, (guint64) st.st_size);
  else
    g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_INPUT_CHANGED,
                 _("Reading byte %" PRIu64 " of the input failed (SIGBUS): its file "
                   "may have changed or its storage failed"), offset);

  return NULL;
}

/* Runs @worker on @chunk with faults on the chunk's input turned into
 * errors. */
GVariant *
mpaio_input_guard_process (MpaioWorker  *worker,
                           MpaioChunk   *chunk,
                           GError      **error)
{
  static gsize page_size;
  MpaioSharedMemory *input = mpaio_chunk_get_memory (chunk);
  GVariant *result;

  if (page_size == 0)
    page_size = sysconf (_SC_PAGESIZE);

  if (guard.memory_id != mpaio_shared_memory_get_id (input))
    {
      guard.memory_id = mpaio_shared_memory_get_id (input);
      guard.start = (guintptr) mpaio_shared_memory_get_data (input);
      guard.input_size = mpaio_shared_memory_get_size (input);
      guard.size = (guard.input_size + page_size - 1) & ~(page_size - 1);
      guard.fd = mpaio_shared_memory_get_fd (input);
      guard.thread = pthread_self ();
    }

  if (sigsetjmp (guard.env, 0) != 0)
    return report_fault (error);

  guard.armed = 1;
  result = mpaio_worker_process (worker, chunk, error);
  guard.armed = 0;

  return result;
}

gboolean
mpaio_input_guard_tripped (void)
{
  return guard.tripped;
}

/* After a tripped chunk's error is sent: the pool reads it, sees the
 * channel close behind it, and lets this worker go; exiting before that
 * could let the pool see the exit before the error. */
void
mpaio_input_guard_hang_up (int channel_fd)
{
  struct pollfd pfd = { channel_fd, POLLIN, 0 };
  char byte;

  shutdown (channel_fd, SHUT_WR);
  while (poll (&pfd, 1, -1) >= 0 || errno == EINTR)
    if (recv (channel_fd, &byte, 1, MSG_DONTWAIT) == 0 ||
        (pfd.revents & (POLLHUP | POLLERR)) != 0)
      break;

  _exit (EXIT_FAILURE);
}
