/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The worker side's input guard, in this process: faults on a chunk's input
 * become errors, and every other fault is left alone. Each case runs in a
 * subprocess, since the guard's handler is for the whole process. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mpaio-chunk-private.h"
#include "mpaio-error.h"
#include "mpaio-input-guard-private.h"
#include "mpaio-shared-memory-private.h"
#include "mpaio-worker.h"

#define N_VALUES 10000

typedef enum
{
  MODE_READ,
  MODE_WRITE,
  MODE_RAISE,
  MODE_OTHER_PAGE,
} Mode;

#define TEST_TYPE_TOUCH_WORKER (test_touch_worker_get_type ())
G_DECLARE_FINAL_TYPE (TestTouchWorker, test_touch_worker, TEST, TOUCH_WORKER, GObject)

struct _TestTouchWorker
{
  GObject  parent_instance;
  Mode     mode;
  gpointer other_page;              /* PROT_NONE, for MODE_OTHER_PAGE */
};

static GVariant *
test_touch_worker_process (MpaioWorker  *worker,
                           MpaioChunk   *chunk,
                           GError      **error)
{
  TestTouchWorker *self = TEST_TOUCH_WORKER (worker);
  const gint64 *values = mpaio_chunk_get_data (chunk, NULL);
  gint64 sum = 0;

  if (self->mode == MODE_WRITE)
    ((gint64 *) values)[0] = 1;
  else if (self->mode == MODE_RAISE)
    raise (SIGSEGV);
  else if (self->mode == MODE_OTHER_PAGE)
    *(volatile char *) self->other_page = 1;

  for (guint64 i = 0; i < mpaio_chunk_get_n_elements (chunk); i++)
    sum += values[i];

  return g_variant_new_int64 (sum);
}

static void
test_touch_worker_iface_init (MpaioWorkerInterface *iface)
{
  iface->process = test_touch_worker_process;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestTouchWorker, test_touch_worker, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_WORKER, test_touch_worker_iface_init))

static void
test_touch_worker_class_init (TestTouchWorkerClass *klass)
{
}

static void
test_touch_worker_init (TestTouchWorker *self)
{
}

/* A memfd of 1..N_VALUES as a worker would map it: sealed, or shrunk to
 * nothing before the worker got it. */
static MpaioSharedMemory *
worker_memory (gboolean seal)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) caller = mpaio_shared_memory_new (N_VALUES * 8, &error);
  gint64 *values = mpaio_shared_memory_get_writable_data (caller);
  MpaioSharedMemory *memory;

  for (guint64 i = 0; i < N_VALUES; i++)
    values[i] = i + 1;
  if (seal)
    g_assert_true (mpaio_shared_memory_seal (caller, &error));
  else
    g_assert_cmpint (ftruncate (mpaio_shared_memory_get_fd (caller), 0), ==, 0);

  memory = mpaio_shared_memory_new_for_worker (dup (mpaio_shared_memory_get_fd (caller)),
                                               N_VALUES * 8, FALSE, &error);
  g_assert_no_error (error);
  return memory;
}

/* Runs a worker in @mode on elements [2, 100) of @memory, guarded. */
static GVariant *
guarded_run (MpaioSharedMemory  *memory,
             Mode                mode,
             GError            **error)
{
  g_autoptr(TestTouchWorker) worker = g_object_new (TEST_TYPE_TOUCH_WORKER, NULL);
  g_autoptr(MpaioChunk) chunk = mpaio_chunk_new (memory, 0, 8, "<i8", 0, 2, 100);

  worker->mode = mode;
  worker->other_page = mmap (NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mpaio_input_guard_install ();
  return mpaio_input_guard_process (MPAIO_WORKER (worker), chunk, error);
}

static void
test_read_runs (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = worker_memory (TRUE);
  g_autoptr(GVariant) result = guarded_run (memory, MODE_READ, &error);

  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int64 (result), ==, 100 * 101 / 2 - 3);
  g_assert_false (mpaio_input_guard_tripped ());
}

static void
test_write_reported (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MpaioSharedMemory) memory = worker_memory (TRUE);

      g_assert_null (guarded_run (memory, MODE_WRITE, &error));
      g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_READ_ONLY);
      g_assert_true (mpaio_input_guard_tripped ());
      g_print ("%s\n", error->message);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*The worker wrote to the read-only input, at byte 16;*");
}

/* The memfd shrank before this worker mapped it: mapped all the same, and
 * the chunk that reads it says why it failed. */
static void
test_shrunk_input_reported (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MpaioSharedMemory) memory = worker_memory (FALSE);

      g_assert_null (guarded_run (memory, MODE_READ, &error));
      g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INPUT_CHANGED);
      g_print ("%s\n", error->message);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*The input shrank from 80000 to 0 bytes while the worker read it*");
}

static void
test_other_faults_kill (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(MpaioSharedMemory) memory = worker_memory (TRUE);
      Mode mode = g_str_has_suffix (g_test_get_path (), "raise") ? MODE_RAISE : MODE_OTHER_PAGE;

      guarded_run (memory, mode, NULL);
      g_print ("survived\n");
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stdout_unmatched ("*survived*");
}

static void
on_segv (int signal_number)
{
  static const char message[] = "the handler from before\n";

  if (write (STDOUT_FILENO, message, sizeof message - 1) < 0)
    _exit (2);
  _exit (0);
}

/* A fault that is not the guard's goes to the handler that was there
 * before it (SpiderMonkey has one in GJS). */
static void
test_previous_handler_kept (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(MpaioSharedMemory) memory = worker_memory (TRUE);

      signal (SIGSEGV, on_segv);
      guarded_run (memory, MODE_OTHER_PAGE, NULL);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*the handler from before*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mpaio/input-guard/read-runs", test_read_runs);
  g_test_add_func ("/mpaio/input-guard/write-reported", test_write_reported);
  g_test_add_func ("/mpaio/input-guard/shrunk-input-reported", test_shrunk_input_reported);
  g_test_add_func ("/mpaio/input-guard/other-faults-kill/raise", test_other_faults_kill);
  g_test_add_func ("/mpaio/input-guard/other-faults-kill/other-page", test_other_faults_kill);
  g_test_add_func ("/mpaio/input-guard/previous-handler-kept", test_previous_handler_kept);

  return g_test_run ();
}
