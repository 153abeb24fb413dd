/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs on pools whose one worker process is mpaio-hostile-worker, which
 * breaks the wire protocol in one way per mode. Whatever a worker sends,
 * the run must fail with a GError that names the problem, deliver nothing
 * from that worker, and leave no process and no file descriptor behind.
 *
 * The pool may re-run this program as its worker in other tests, so
 * main() serves before anything else. */
#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <glib-unix.h>

#include "test-workers.h"

#define N_VALUES 100
#define CHUNK_SIZE 10
#define N_CHUNKS (N_VALUES / CHUNK_SIZE)
/* Enough for the "out-of-order" worker to have chunks to swap. */
#define CHUNKS_IN_FLIGHT 4
/* Turns a hang into a failure; a run here takes milliseconds. */
#define DEADLINE_SECONDS 10

/* Must match mpaio-hostile-worker.c. */
#define UNKNOWN_DOMAIN "mpaio hostile domain"
#define NEW_DOMAIN "mpaio-hostile-new-error-quark"
#define FLOOD_DOMAIN "mpaio-hostile-flood-%u-quark"
/* How many domains a pool registers for its workers, at most. */
#define MAX_WORKER_DOMAINS 64

typedef struct
{
  const char *mode;
  MpaioError  code;
  const char *reason;               /* the message says this… */
  const char *detail;               /* …and this, if set */
} HostileCase;

typedef struct
{
  GHashTable *children;             /* pids of the processes before the test */
  GHashTable *fds;                  /* "fd->target" of the fds before the test */
} Fixture;

/* Processes and descriptors */

/* This process's fds, each as "fd->target". */
static GHashTable *
list_open_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  GHashTable *fds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/fd", name, NULL);
      g_autofree char *target = g_file_read_link (path, NULL);

      g_hash_table_add (fds, g_strdup_printf ("%s->%s", name, target ? target : "?"));
    }

  return fds;
}

/* The processes whose parent is this one, pid → state ('Z' for a zombie):
 * the pools' workers are this test's only children. */
static GHashTable *
list_children (void)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  GHashTable *children = g_hash_table_new (NULL, NULL);
  const char *name;
  pid_t self = getpid ();

  g_assert_nonnull (proc);
  while ((name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *stat = NULL;
      const char *after_name;
      char state;
      int ppid;

      if (!g_ascii_isdigit (name[0]))
        continue;

      /* "pid (comm) state ppid …", where comm may hold anything. */
      path = g_build_filename ("/proc", name, "stat", NULL);
      if (!g_file_get_contents (path, &stat, NULL, NULL) ||
          !(after_name = strrchr (stat, ')')) ||
          sscanf (after_name + 1, " %c %d", &state, &ppid) != 2)
        continue;  /* it just went */

      if (ppid == self)
        g_hash_table_insert (children, GINT_TO_POINTER (atoi (name)), GINT_TO_POINTER (state));
    }

  return children;
}

static gboolean
is_zombie (gpointer pid,
           gpointer state,
           gpointer user_data)
{
  return GPOINTER_TO_INT (state) == 'Z';
}

/* The keys of @now that @before does not have, as text. */
static char *
describe_new (GHashTable *now,
              GHashTable *before,
              gboolean    pids)
{
  GString *description = g_string_new (NULL);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, now);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (before, key))
      {
        if (pids)
          g_string_append_printf (description, " %d (%c)", GPOINTER_TO_INT (key),
                                  (char) GPOINTER_TO_INT (value));
        else
          g_string_append_printf (description, " %s", (const char *) key);
      }

  return g_string_free (description, description->len == 0);
}

static void
on_tick (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

static gboolean
on_deadline (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until nothing is new compared to @before, as
 * @list() tells: processes are reaped, and child watches closed, by GLib on
 * its own thread, so this checks now and then. Returns what is still new
 * at the deadline, or %NULL. */
static char *
wait_until_nothing_new (GHashTable *(*list) (void),
                        GHashTable *before,
                        gboolean    pids)
{
  gboolean late = FALSE;
  guint deadline = g_timeout_add_seconds (DEADLINE_SECONDS, on_deadline, &late);
  char *left;

  for (;;)
    {
      g_autoptr(GHashTable) now = list ();
      gboolean ticked = FALSE;

      left = describe_new (now, before, pids);
      if (left == NULL || late)
        break;

      g_free (left);
      g_timeout_add_once (5, on_tick, &ticked);
      while (!ticked)
        g_main_context_iteration (NULL, TRUE);
    }

  if (!late)
    g_source_remove (deadline);
  return left;
}

static GHashTable *
list_running_children (void)
{
  GHashTable *children = list_children ();

  g_hash_table_foreach_remove (children, (GHRFunc) is_zombie, NULL);
  return children;
}

/* Every worker process of the test has ended. One that GLib has not
 * reaped (yet) is only reported: mpaio leaves reaping to GSubprocess, and
 * GLib 2.74 built with AddressSanitizer sometimes keeps a zombie after it
 * has reported its exit. */
static void
assert_children_gone (GHashTable *before)
{
  g_autofree char *left = wait_until_nothing_new (list_running_children, before, TRUE);
  g_autoptr(GHashTable) now = NULL;
  g_autofree char *zombies = NULL;

  if (left != NULL)
    g_test_fail_printf ("Worker processes are still running:%s", left);

  now = list_children ();
  if ((zombies = describe_new (now, before, TRUE)) != NULL)
    g_test_message ("Worker processes not reaped yet:%s", zombies);
}

static void
assert_no_fd_leaked (GHashTable *before)
{
  g_autofree char *left = wait_until_nothing_new (list_open_fds, before, FALSE);

  if (left != NULL)
    g_test_fail_printf ("File descriptors leaked:%s", left);
}

/* Pools and runs */

static char **
hostile_argv (const char *mode,
              const char *sync_fifo)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "mpaio-hostile-worker", NULL);

  g_strv_builder_add_many (builder, path, "--mode", mode, NULL);
  if (sync_fifo != NULL)
    g_strv_builder_add_many (builder, "--sync-fifo", sync_fifo, NULL);

  return g_strv_builder_end (builder);
}

static MpaioProcessPool *
hostile_pool_new (const char *mode,
                  const char *sync_fifo)
{
  g_auto(GStrv) argv = hostile_argv (mode, sync_fifo);
  MpaioProcessPool *pool = mpaio_process_pool_new_for_argv ((const char * const *) argv, 1);

  mpaio_process_pool_set_chunks_in_flight (pool, CHUNKS_IN_FLIGHT);
  return pool;
}

static MpaioOrchestrator *
make_run_of (MpaioProcessPool  *pool,
             guint64            chunk_size,
             TestSumWorker    **worker_out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (N_VALUES);
  g_autoptr(MpaioDataIterator) iterator =
    mpaio_data_iterator_new_for_dtype (memory, "<i8", N_VALUES, chunk_size, &error);
  MpaioOrchestrator *orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (pool));

  g_assert_no_error (error);
  *worker_out = g_object_new (TEST_TYPE_SUM_WORKER, NULL);
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (*worker_out), iterator);
  return orchestrator;
}

static MpaioOrchestrator *
make_sum_run (MpaioProcessPool  *pool,
              TestSumWorker    **worker_out)
{
  return make_run_of (pool, CHUNK_SIZE, worker_out);
}

/* Iterates until the run (or start) is done, or past the deadline; then
 * shuts the pool down, which ends whatever still waits on it. Returns
 * whether that was needed: the pool hung. */
static gboolean
finish_or_give_up (TestRunWait      *wait,
                   MpaioProcessPool *pool)
{
  gboolean timed_out = FALSE;
  guint deadline = g_timeout_add_seconds (DEADLINE_SECONDS, on_deadline, &timed_out);

  while (!wait->done && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (!timed_out)
    {
      g_source_remove (deadline);
      return FALSE;
    }

  g_object_run_dispose (G_OBJECT (pool));
  while (!wait->done)
    g_main_context_iteration (NULL, TRUE);
  g_clear_error (&wait->error);

  return TRUE;
}

/* Runs @orchestrator on @pool. Returns FALSE with @error set if the run
 * failed, and also if it hung, which @hung tells. */
static gboolean
run_on (MpaioOrchestrator  *orchestrator,
        MpaioProcessPool   *pool,
        gboolean           *hung,
        GError            **error)
{
  TestRunWait wait = { FALSE, FALSE, NULL };

  test_run_start (orchestrator, NULL, &wait);
  *hung = finish_or_give_up (&wait, pool);
  if (*hung)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "The run was still going after %d s", DEADLINE_SECONDS);
      return FALSE;
    }

  if (wait.error != NULL)
    g_propagate_error (error, wait.error);
  return wait.ok;
}

/* Disposes the pool, and checks that it was its last reference. */
static void
drop_pool (MpaioProcessPool **pool)
{
  gpointer weak = *pool;

  g_object_add_weak_pointer (weak, &weak);
  g_clear_object (pool);
  g_assert_null (weak);
}

/* Fixture: no process and no fd outlives a test. */

static void
warm_up (void)
{
  static gboolean done = FALSE;
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioProcessPool) pool = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  gboolean hung;

  if (done)
    return;

  pool = hostile_pool_new ("polite", NULL);
  orchestrator = make_sum_run (pool, &worker);
  g_assert_true (run_on (orchestrator, pool, &hung, &error));
  g_assert_no_error (error);
  g_clear_object (&orchestrator);
  drop_pool (&pool);
  done = TRUE;
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  /* GLib opens a few descriptors for good on its first subprocess (its
   * worker thread and child watches): let it, before counting. */
  warm_up ();
  fixture->children = list_children ();
  fixture->fds = list_open_fds ();
}

/* Compares with what was there before the test, rather than with nothing:
 * a test that failed must not make the next ones fail. */
static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  assert_children_gone (fixture->children);
  assert_no_fd_leaked (fixture->fds);
  g_hash_table_unref (fixture->children);
  g_hash_table_unref (fixture->fds);
}

/* Tests */

/* The control: the hand-written protocol is right, so that every other
 * mode fails for its one mistake only. */
static void
test_polite (Fixture       *fixture,
             gconstpointer  data)
{
  const char *mode = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioProcessPool) pool = hostile_pool_new (mode, NULL);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = make_sum_run (pool, &worker);
  gboolean hung;

  g_assert_true (run_on (orchestrator, pool, &hung, &error));
  g_assert_no_error (error);
  g_assert_cmpint (worker->total, ==, test_sum_1_to_n (N_VALUES));
  g_assert_cmpuint (worker->n_callbacks, ==, N_CHUNKS);

  g_clear_object (&orchestrator);
  drop_pool (&pool);
}

/* Assertions do not abort (see main()), so this must cope with no error. */
static void
assert_message_has (const GError *error,
                    const char   *text)
{
  if (error == NULL)
    g_test_fail_printf ("No error, where one should say “%s”", text);
  else if (strstr (error->message, text) == NULL)
    g_test_fail_printf ("The error “%s” does not say “%s”", error->message, text);
}

static const char *
message_of (const GError *error)
{
  return error ? error->message : "no error";
}

static void
assert_error_says (const GError      *error,
                   const HostileCase *hc)
{
  g_test_message ("%s: %s", hc->mode, message_of (error));
  g_assert_error (error, MPAIO_ERROR, (int) hc->code);
  assert_message_has (error, hc->reason);
  if (hc->detail != NULL)
    assert_message_has (error, hc->detail);
  if (hc->code == MPAIO_ERROR_PROTOCOL)
    assert_message_has (error, "broke the protocol");
}

/* A hang is a failure, but not a reason to skip the other modes. */
static gboolean
check_hung (gboolean           hung,
            const HostileCase *hc)
{
  if (hung)
    g_test_fail_printf ("%s: the pool never gave up on its worker; after %d s, "
                        "it was shut down", hc->mode, DEADLINE_SECONDS);
  return hung;
}

static void
test_refused (Fixture       *fixture,
              gconstpointer  data)
{
  const HostileCase *hc = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioProcessPool) pool = hostile_pool_new (hc->mode, NULL);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = make_sum_run (pool, &worker);
  gboolean hung;

  g_assert_false (run_on (orchestrator, pool, &hung, &error));
  if (check_hung (hung, hc))
    return;
  assert_error_says (error, hc);

  /* Nothing from the worker reached the caller. */
  g_assert_cmpuint (worker->n_callbacks, ==, 0);
  g_assert_cmpint (worker->total, ==, 0);
  g_assert_false (mpaio_orchestrator_is_running (orchestrator));

  g_clear_object (&orchestrator);
  drop_pool (&pool);
}

/* A worker that sends 200 MiB of lies is killed, and the caller's main
 * thread does not pay for reading them: validating them there took some
 * 4 s of its CPU. */
static void
test_huge_lie_off_main (Fixture       *fixture,
                        gconstpointer  data)
{
  const HostileCase *hc = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioProcessPool) pool = hostile_pool_new (hc->mode, NULL);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = make_sum_run (pool, &worker);
  gint64 cpu = test_thread_cpu_usec ();
  gboolean hung;

  g_assert_false (run_on (orchestrator, pool, &hung, &error));
  cpu = test_thread_cpu_usec () - cpu;
  if (check_hung (hung, hc))
    return;
  assert_error_says (error, hc);
  g_assert_cmpuint (worker->n_callbacks, ==, 0);
  g_test_message ("main thread busy %.1f ms", cpu / 1000.0);
  if (g_getenv ("MPAIO_TEST_VALGRIND") == NULL)
    g_assert_cmpint (cpu, <, 500 * 1000);

  g_clear_object (&orchestrator);
  drop_pool (&pool);
}

/* Replies are checked one by one: a good one before a bad one in the same
 * message may be delivered (it is right), the bad one never is, and the
 * run fails. */
static void
test_good_then_unasked (Fixture       *fixture,
                        gconstpointer  data)
{
  const HostileCase *hc = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioProcessPool) pool = hostile_pool_new (hc->mode, NULL);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = make_sum_run (pool, &worker);
  gboolean hung;

  g_assert_false (run_on (orchestrator, pool, &hung, &error));
  if (check_hung (hung, hc))
    return;
  assert_error_says (error, hc);

  g_test_message ("%u result delivered before the bad one", worker->n_callbacks);
  g_assert_cmpuint (worker->n_callbacks, <=, 1);
  if (worker->n_callbacks == 1)
    {
      g_assert_true (g_hash_table_contains (worker->seen_chunks, GSIZE_TO_POINTER (0 + 1)));
      g_assert_cmpint (worker->total, ==, test_sum_1_to_n (CHUNK_SIZE));
    }

  g_clear_object (&orchestrator);
  drop_pool (&pool);
}

/* A name that is not a quark's is not registered on a worker's say-so. */
static void
test_unknown_domain_not_registered (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_assert_cmpuint (g_quark_try_string (UNKNOWN_DOMAIN), ==, 0);
  test_refused (fixture, data);
  g_assert_cmpuint (g_quark_try_string (UNKNOWN_DOMAIN), ==, 0);
}

/* A quark's name the caller does not know yet is kept (bindings make their
 * domains on first use). */
static void
test_new_domain_kept (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioProcessPool) pool = hostile_pool_new ("error-new-domain", NULL);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = make_sum_run (pool, &worker);
  gboolean hung;

  g_assert_cmpuint (g_quark_try_string (NEW_DOMAIN), ==, 0);
  g_assert_false (run_on (orchestrator, pool, &hung, &error));
  g_assert_false (hung);
  g_test_message ("%s", message_of (error));
  g_assert_cmpuint (g_quark_try_string (NEW_DOMAIN), !=, 0);
  g_assert_error (error, g_quark_try_string (NEW_DOMAIN), 42);
  assert_message_has (error, "TestSumWorker failed on chunk 0");
  assert_message_has (error, "a new error");
  g_assert_cmpuint (worker->n_callbacks, ==, 0);

  g_clear_object (&orchestrator);
  drop_pool (&pool);
}

static gboolean
on_sync_fifo (int           fd,
              GIOCondition  condition,
              gpointer      user_data)
{
  gboolean *flooded = user_data;
  char c;

  while (read (fd, &c, 1) == 1)
    *flooded |= c == 'F';

  return G_SOURCE_CONTINUE;
}

/* A worker cannot grow the caller's quark table without end: it answers
 * each of its chunks with an error in a new domain. */
static void
test_error_flood (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("mpaio-hostile-XXXXXX", &error);
  g_autofree char *fifo = g_build_filename (dir, "sync", NULL);
  g_autoptr(MpaioProcessPool) pool = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  TestRunWait wait = { FALSE, FALSE, NULL };
  gboolean flooded = FALSE, late = FALSE;
  guint deadline, watch, n_registered = 0;
  int sync_fd;

  g_assert_no_error (error);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  sync_fd = open (fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  g_assert_cmpint (sync_fd, >=, 0);
  watch = g_unix_fd_add (sync_fd, G_IO_IN, on_sync_fifo, &flooded);

  /* One chunk per value, all of them in flight at once. */
  pool = hostile_pool_new ("error-flood", fifo);
  mpaio_process_pool_set_chunks_in_flight (pool, N_VALUES);
  orchestrator = make_run_of (pool, 1, &worker);

  /* The first error ends the run; the pool still reads the others, all on
   * the channel once the worker says so. */
  deadline = g_timeout_add_seconds (DEADLINE_SECONDS, on_deadline, &late);
  test_run_start (orchestrator, NULL, &wait);
  while (!(wait.done && flooded) && !late)
    g_main_context_iteration (NULL, TRUE);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_false (late);
  g_source_remove (deadline);

  g_assert_false (wait.ok);
  g_test_message ("%s", message_of (wait.error));
  assert_message_has (wait.error, "failed on chunk 0");
  assert_message_has (wait.error, "one of many");
  g_clear_error (&wait.error);

  for (guint i = 0; i < N_VALUES; i++)
    {
      g_autofree char *domain = g_strdup_printf (FLOOD_DOMAIN, i);

      n_registered += g_quark_try_string (domain) != 0;
    }
  g_test_message ("%u of the worker's %d domains were registered", n_registered, N_VALUES);
  g_assert_cmpuint (n_registered, >=, 1);
  g_assert_cmpuint (n_registered, <=, MAX_WORKER_DOMAINS);

  g_clear_object (&orchestrator);
  drop_pool (&pool);
  g_source_remove (watch);
  close (sync_fd);
  g_unlink (fifo);
  g_rmdir (dir);
}

static void
on_started (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  TestRunWait *wait = user_data;

  wait->ok = mpaio_process_pool_start_finish (MPAIO_PROCESS_POOL (object), result, &wait->error);
  wait->done = TRUE;
}

/* A handshake that fails makes mpaio_process_pool_start_async() fail. */
static void
test_start_refused (Fixture       *fixture,
                    gconstpointer  data)
{
  const HostileCase *hc = data;
  g_autoptr(MpaioProcessPool) pool = hostile_pool_new (hc->mode, NULL);
  TestRunWait wait = { FALSE, FALSE, NULL };

  mpaio_process_pool_start_async (pool, NULL, on_started, &wait);
  if (check_hung (finish_or_give_up (&wait, pool), hc))
    return;

  g_assert_false (wait.ok);
  assert_error_says (wait.error, hc);
  g_clear_error (&wait.error);
  drop_pool (&pool);
}

/* Reads the sync FIFO until @mark comes, counting the workers that
 * started ("S" marks). Blocks without iterating the main context, so that
 * the pool reads nothing meanwhile. */
static guint
read_sync_fifo (int  fd,
                char mark)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;
  guint n_started = 0;

  for (;;)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      gint64 left = deadline - g_get_monotonic_time ();
      char c;

      while (read (fd, &c, 1) == 1)
        {
          n_started += c == 'S';
          if (c == mark)
            return n_started;
        }

      if (mark == 0)
        return n_started;
      if (left <= 0)
        g_error ("The worker wrote no “%c” within %d s", mark, DEADLINE_SECONDS);
      if (poll (&pfd, 1, left / 1000 + 1) > 0 && pfd.revents == POLLHUP)
        g_error ("The worker went without writing “%c”", mark);
    }
}

/* A worker that breaks the protocol while it holds no chunk, here right
 * after its HELLO, fails the runs: replacing it would only spawn the broken
 * program again and again. The worker sends both HELLOs before the pool
 * reads anything, so that it breaks the protocol before any chunk. */
static void
test_idle_protocol_error (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("mpaio-hostile-XXXXXX", &error);
  g_autofree char *fifo = g_build_filename (dir, "sync", NULL);
  g_autoptr(MpaioProcessPool) pool = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  TestRunWait wait = { FALSE, FALSE, NULL };
  gboolean hung;
  guint n_started;
  int sync_fd;

  g_assert_no_error (error);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  sync_fd = open (fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  g_assert_cmpint (sync_fd, >=, 0);

  pool = hostile_pool_new ("hello-twice-at-once", fifo);
  mpaio_process_pool_set_max_retries (pool, 0);
  orchestrator = make_sum_run (pool, &worker);

  /* The pool spawns its worker right away; it reads the channel only once
   * this context runs, by then both HELLOs wait there. */
  test_run_start (orchestrator, NULL, &wait);
  n_started = read_sync_fifo (sync_fd, 'H');
  g_assert_cmpuint (n_started, ==, 1);

  hung = finish_or_give_up (&wait, pool);
  error = g_steal_pointer (&wait.error);
  g_clear_object (&orchestrator);
  drop_pool (&pool);
  assert_children_gone (fixture->children);
  n_started += read_sync_fifo (sync_fd, 0);
  close (sync_fd);
  g_unlink (fifo);
  g_rmdir (dir);

  g_test_message ("%u worker processes started; the run %s: %s", n_started,
                  hung ? "hung" : "ended", message_of (error));
  g_assert_false (hung);
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL);
  assert_message_has (error, "said hello twice");
  g_assert_cmpuint (worker->n_callbacks, ==, 0);
  /* With max-retries at 0, a worker that broke the protocol is not
   * replaced for the same run. */
  g_assert_cmpuint (n_started, ==, 1);
}

static const HostileCase refused_cases[] = {
  { "garbage", MPAIO_ERROR_PROTOCOL, "not a well-formed (uv) GVariant" },
  { "garbage-result", MPAIO_ERROR_PROTOCOL, "not a well-formed (uv) GVariant" },
  { "empty-packet", MPAIO_ERROR_PROTOCOL, "broke the protocol" },
  { "oversized", MPAIO_ERROR_PROTOCOL, "larger than 61440 bytes" },
  { "wrong-type", MPAIO_ERROR_PROTOCOL, "body type “(ta(tt)av)” instead of “(ta(ut)av)”" },
  { "truncated", MPAIO_ERROR_PROTOCOL, "not a well-formed (uv) GVariant" },
  { "unexpected-fd", MPAIO_ERROR_PROTOCOL, "with a file descriptor it should not have" },
  { "many-fds", MPAIO_ERROR_PROTOCOL, "more than one file descriptor" },
  { "too-many-fds", MPAIO_ERROR_PROTOCOL, "more than 4 file descriptors" },
  { "unasked-binding", MPAIO_ERROR_PROTOCOL, "was not asked for" },
  { "unasked-chunk", MPAIO_ERROR_PROTOCOL, "chunk 1003 of binding", "was not asked for" },
  { "out-of-order", MPAIO_ERROR_PROTOCOL, "chunk 3 of binding", "was not asked for" },
  { "unasked-error", MPAIO_ERROR_PROTOCOL, "chunk 1000 of binding", "was not asked for" },
  { "hello-twice", MPAIO_ERROR_PROTOCOL, "said hello twice" },
  { "bad-version", MPAIO_ERROR_SPAWN_FAILED, "speaks version 3 of the Mpaio protocol" },
  { "exit-before-hello", MPAIO_ERROR_SPAWN_FAILED, "exited with status 7 before it was ready",
    "leaving before saying hello" },
  { "large-unsealed", MPAIO_ERROR_PROTOCOL, "not a sealed memfd of that size" },
  { "large-lie", MPAIO_ERROR_PROTOCOL, "not a sealed memfd of that size" },
  { "pool-only-kind", MPAIO_ERROR_PROTOCOL, "kind 7, which only the pool sends" },
  { "pool-only-memory", MPAIO_ERROR_PROTOCOL, "kind 2, which only the pool sends" },
  { "wrong-value-type", MPAIO_ERROR_INVALID_RESULT, "result of type “s” for chunk 0" },
};

static const HostileCase huge_unasked_case = {
  "huge-unasked", MPAIO_ERROR_PROTOCOL, "was not asked for"
};

static const HostileCase good_then_unasked_case = {
  "good-then-unasked", MPAIO_ERROR_PROTOCOL, "chunk 1003 of binding", "was not asked for"
};

static const HostileCase unknown_domain_case = {
  "error-unknown-domain", MPAIO_ERROR_WORKER_FAILED, "TestSumWorker failed on chunk 0",
  "a made-up error (" UNKNOWN_DOMAIN " 42)"
};

/* The modes that fail at the handshake, as start_async() sees them. */
static const HostileCase start_cases[] = {
  { "garbage", MPAIO_ERROR_PROTOCOL, "not a well-formed (uv) GVariant" },
  { "bad-version", MPAIO_ERROR_SPAWN_FAILED, "speaks version 3 of the Mpaio protocol" },
  { "exit-before-hello", MPAIO_ERROR_SPAWN_FAILED, "exited with status 7 before it was ready",
    "leaving before saying hello" },
};

int
main (int   argc,
      char *argv[])
{
  test_workers_register ();
  mpaio_serve_if_worker ();

  g_test_init (&argc, &argv, NULL);
  /* With --keep-going, one mode that the pool mishandles does not hide
   * what it does with the others. */
  g_test_set_nonfatal_assertions ();

#define ADD(path, data, func) \
  g_test_add (path, Fixture, data, fixture_setup, func, fixture_teardown)

  ADD ("/mpaio/hostile/polite", "polite", test_polite);
  ADD ("/mpaio/hostile/polite-large", "polite-large", test_polite);
  ADD ("/mpaio/hostile/huge-lie-off-main", &huge_unasked_case, test_huge_lie_off_main);

  for (gsize i = 0; i < G_N_ELEMENTS (refused_cases); i++)
    {
      g_autofree char *path = g_strconcat ("/mpaio/hostile/refused/", refused_cases[i].mode, NULL);

      ADD (path, &refused_cases[i], test_refused);
    }
  ADD ("/mpaio/hostile/refused/good-then-unasked", &good_then_unasked_case,
       test_good_then_unasked);
  ADD ("/mpaio/hostile/refused/error-unknown-domain", &unknown_domain_case,
       test_unknown_domain_not_registered);
  ADD ("/mpaio/hostile/error-domain/new", NULL, test_new_domain_kept);
  ADD ("/mpaio/hostile/error-domain/flood", NULL, test_error_flood);

  for (gsize i = 0; i < G_N_ELEMENTS (start_cases); i++)
    {
      g_autofree char *path = g_strconcat ("/mpaio/hostile/start-refused/", start_cases[i].mode, NULL);

      ADD (path, &start_cases[i], test_start_refused);
    }

  ADD ("/mpaio/hostile/refused/idle-protocol-error", NULL, test_idle_protocol_error);
#undef ADD

  return g_test_run ();
}
