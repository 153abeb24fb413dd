/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The dispatch and recovery rooms with a transport of the test's own: its
 * peers live in this process, answer from an idle, and die on request. The
 * executor here is built as an executor library outside libmpaio would be
 * (libmpaio-mpi-1): it links the shared library and uses only the symbols
 * exported with MPAIO_INTERNAL. */
#include "config.h"

#include <string.h>

#include "mpaio-dispatch-private.h"
#include "mpaio-executor-base-private.h"
#include "mpaio-shared-memory-private.h"

#include "test-workers.h"

typedef struct
{
  guint64 memory_id;
  guint64 offset;
} FakeBinding;

/* One peer of the fake transport. */
typedef struct
{
  MpaioPeer  *peer;
  guint       number;
  gboolean    said_hello;
  gboolean    gone;             /* closed or killed: its exit is due */
  gboolean    dies;             /* at its first batch, without answering */
  guint       max_held;         /* the most jobs it held at once */
  GHashTable *memories;         /* id → MpaioSharedMemory */
  GHashTable *bindings;         /* id → FakeBinding */
  GArray     *jobs;             /* MpaioResultId then MpaioWireRange, pairs */
  GArray     *taken;            /* guint64: every chunk it was sent */
  GString    *log;              /* what it was sent, in order */
} FakePeer;

#define TEST_TYPE_REMOTE (test_remote_get_type ())
G_DECLARE_FINAL_TYPE (TestRemote, test_remote, TEST, REMOTE, GObject)

struct _TestRemote
{
  GObject            parent_instance;
  MpaioExecutorBase  base;
  MpaioDispatch      dispatch;
  GPtrArray         *fakes;     /* FakePeer*, not owned: the peers own them */
  GSource           *answer;
  guint              n_started;
  gint               dies;      /* the number of the peer that dies, or 0 */
  gboolean           no_hello;  /* every peer dies before its HELLO */
  guint              first_dying; /* this peer and later ones die so, or 0 */
  guint              n_early_deaths; /* peers that died before their HELLO */
  gboolean           hold;      /* peers keep their jobs unanswered */
  guint              stopped;   /* the number of a peer that never answers */
  gboolean           slow;      /* answer one job at a time, 1 s each */
  GString           *log;       /* of every peer */
};

static void test_remote_executor_iface_init (MpaioExecutorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestRemote, test_remote, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_EXECUTOR,
                                                      test_remote_executor_iface_init))

static const MpaioExecutorMessages messages = {
  "The remote was shut down", "The remote was shut down during the run", "Wrong context",
};

static TestRemote *
remote_of (MpaioPeer *peer)
{
  return mpaio_peer_get_dispatch (peer)->transport_data;
}

static FakePeer *
fake_of (MpaioPeer *peer)
{
  return mpaio_peer_get_data (peer);
}

static gboolean on_answer (gpointer user_data);

/* Answers later, never inside a call from the dispatch. */
static void
schedule_answer (TestRemote *self)
{
  if (self->answer != NULL)
    return;

  self->answer = g_idle_source_new ();
  g_source_set_callback (self->answer, on_answer, self, NULL);
  g_source_attach (self->answer, self->base.context);
}

/* The transport */

static gpointer
fake_start (MpaioDispatch  *dispatch,
            MpaioPeer      *peer,
            GError        **error)
{
  TestRemote *self = dispatch->transport_data;
  FakePeer *fake = g_new0 (FakePeer, 1);

  fake->peer = peer;
  fake->number = ++self->n_started;
  fake->dies = (gint) fake->number == self->dies;
  fake->memories = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  fake->bindings = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  fake->jobs = g_array_new (FALSE, FALSE, sizeof (MpaioWireRange));
  fake->taken = g_array_new (FALSE, FALSE, sizeof (guint64));
  fake->log = self->log;
  g_ptr_array_add (self->fakes, fake);
  schedule_answer (self);
  return fake;
}

static void
fake_free (gpointer data)
{
  FakePeer *fake = data;

  g_hash_table_unref (fake->memories);
  g_hash_table_unref (fake->bindings);
  g_array_unref (fake->jobs);
  g_array_unref (fake->taken);
  g_free (fake);
}

static void
fake_log (MpaioPeer  *peer,
          const char *what)
{
  g_string_append_printf (fake_of (peer)->log, "%u:%s ", fake_of (peer)->number, what);
}

static void
fake_send_memory (MpaioPeer         *peer,
                  MpaioSharedMemory *memory,
                  gboolean           output)
{
  g_assert_false (fake_of (peer)->gone);
  fake_log (peer, "memory");
  g_hash_table_insert (fake_of (peer)->memories, GSIZE_TO_POINTER (mpaio_shared_memory_get_id (memory)),
                       g_object_ref (memory));
}

static void
fake_forget_memory (MpaioPeer *peer,
                    guint64    memory_id)
{
  fake_log (peer, "forget");
  g_hash_table_remove (fake_of (peer)->memories, GSIZE_TO_POINTER (memory_id));
}

static void
fake_send_worker (MpaioPeer             *peer,
                  const MpaioWireWorker *worker)
{
  fake_log (peer, "worker");
  g_assert_true (g_variant_is_of_type (worker->spec, G_VARIANT_TYPE ("(sa{sv})")));
}

static void
fake_forget_worker (MpaioPeer *peer,
                    guint32    worker_id)
{
  fake_log (peer, "forget-worker");
}

static void
fake_send_bind (MpaioPeer           *peer,
                const MpaioWireBind *bind)
{
  FakeBinding *binding = g_new0 (FakeBinding, 1);

  fake_log (peer, "bind");
  g_assert_cmpuint (bind->element_size, ==, sizeof (gint64));
  g_assert_true (g_hash_table_contains (fake_of (peer)->memories,
                                        GSIZE_TO_POINTER (bind->memory_id)));
  binding->memory_id = bind->memory_id;
  binding->offset = bind->offset;
  g_hash_table_insert (fake_of (peer)->bindings, GUINT_TO_POINTER (bind->binding_id), binding);
}

static void
fake_send_unbind (MpaioPeer *peer,
                  guint32    binding_id)
{
  fake_log (peer, "unbind");
}

/* Remembers the jobs with their binding, in the first range's slot. */
static void
fake_send_jobs (MpaioPeer              *peer,
                const MpaioWireProcess *jobs)
{
  FakePeer *fake = fake_of (peer);

  g_assert_false (fake->gone);
  g_assert_true (g_hash_table_contains (fake->bindings, GUINT_TO_POINTER (jobs->binding_id)));
  fake_log (peer, "jobs");
  for (gsize i = 0; i < jobs->n_ranges; i++)
    {
      MpaioWireRange binding = { jobs->binding_id, 0, 0 };

      g_array_append_val (fake->jobs, binding);
      g_array_append_val (fake->jobs, jobs->ranges[i]);
      g_array_append_val (fake->taken, jobs->ranges[i].chunk);
    }
  fake->max_held = MAX (fake->max_held, fake->jobs->len / 2);
  schedule_answer (remote_of (peer));
}

static void
fake_close (MpaioPeer *peer)
{
  fake_of (peer)->gone = TRUE;
  schedule_answer (remote_of (peer));
}

static char *
fake_describe (MpaioPeer *peer)
{
  return g_strdup_printf ("Fake peer %u", fake_of (peer)->number);
}

static char *
fake_describe_output (MpaioPeer *peer)
{
  return g_strdup ("it said nothing");
}

static GError *
fake_startup_error (MpaioPeer  *peer,
                    const char *exit_description,
                    guint       n_failed_before)
{
  return g_error_new (MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED, "Fake peer %u %s before it was ready",
                      fake_of (peer)->number, exit_description);
}

static const MpaioTransport fake_transport = {
  .start = fake_start,
  .free = fake_free,
  .send_memory = fake_send_memory,
  .forget_memory = fake_forget_memory,
  .send_worker = fake_send_worker,
  .forget_worker = fake_forget_worker,
  .send_bind = fake_send_bind,
  .send_unbind = fake_send_unbind,
  .send_jobs = fake_send_jobs,
  .close = fake_close,
  .kill = fake_close,
  .describe = fake_describe,
  .describe_output = fake_describe_output,
  .startup_error = fake_startup_error,
};

/* The peers' side */

static gint64
fake_sum (FakePeer             *fake,
          guint32               binding_id,
          const MpaioWireRange *range)
{
  FakeBinding *binding = g_hash_table_lookup (fake->bindings, GUINT_TO_POINTER (binding_id));
  MpaioSharedMemory *memory = g_hash_table_lookup (fake->memories,
                                                   GSIZE_TO_POINTER (binding->memory_id));
  const gint64 *values = (const gint64 *) ((const guint8 *) mpaio_shared_memory_get_data (memory) +
                                           binding->offset);
  gint64 sum = 0;

  for (guint64 i = range->start; i < range->end; i++)
    sum += values[i];

  return sum;
}

static void
fake_receive (FakePeer         *fake,
              MpaioMessageKind  kind,
              GVariant         *body)
{
  g_autoptr(GError) error = NULL;
  MpaioMessage message = { kind, g_variant_ref_sink (body), -1 };

  g_assert_true (mpaio_peer_receive (fake->peer, &message, &error));
  g_assert_no_error (error);
  mpaio_message_clear (&message);
}

/* Answers the first @n_max jobs it holds, in one RESULT, saying that each
 * took @usec. */
static void
fake_answer (FakePeer *fake,
             guint     n_max,
             guint64   usec)
{
  guint n = MIN (fake->jobs->len / 2, n_max);
  g_autofree MpaioResultId *ids = g_new0 (MpaioResultId, n);
  g_autofree GVariant **values = g_new0 (GVariant *, n);

  for (guint i = 0; i < n; i++)
    {
      const MpaioWireRange *binding = &g_array_index (fake->jobs, MpaioWireRange, 2 * i);
      const MpaioWireRange *range = &g_array_index (fake->jobs, MpaioWireRange, 2 * i + 1);

      ids[i] = (MpaioResultId) { binding->chunk, 0, range->chunk };
      values[i] = g_variant_ref_sink (g_variant_new_int64 (fake_sum (fake, binding->chunk, range)));
    }

  g_array_remove_range (fake->jobs, 0, 2 * n);
  fake_receive (fake, MPAIO_MESSAGE_RESULT, mpaio_wire_result_build (usec * n, ids, values, n));
  for (guint i = 0; i < n; i++)
    g_variant_unref (values[i]);
}

/* What each peer does on its turn. Returns FALSE once it is gone (freed). */
static gboolean
fake_step (TestRemote *self,
           FakePeer   *fake)
{
  gboolean dies_early = self->no_hello ||
                        (self->first_dying > 0 && fake->number >= self->first_dying);

  if (fake->gone || (fake->dies && fake->jobs->len > 0) || (dies_early && !fake->said_hello))
    {
      self->n_early_deaths += !fake->said_hello;
      g_ptr_array_remove (self->fakes, fake);
      if (!fake->gone)
        mpaio_peer_lost (fake->peer);
      mpaio_peer_exited (fake->peer, fake->gone ? "stopped" : "vanished");
      return FALSE;
    }

  if (!fake->said_hello)
    {
      fake->said_hello = TRUE;
      fake_receive (fake, MPAIO_MESSAGE_HELLO,
                    mpaio_wire_hello_build (&(MpaioWireHello) { MPAIO_PROTOCOL_VERSION, 4242 }));
    }
  else if (fake->jobs->len > 0 && !self->hold && fake->number != self->stopped)
    {
      if (self->slow)
        fake_answer (fake, 1, G_USEC_PER_SEC);
      else
        fake_answer (fake, G_MAXUINT, 10);
      if (fake->jobs->len > 0)
        schedule_answer (self);
    }

  return TRUE;
}

static gboolean
on_answer (gpointer user_data)
{
  g_autoptr(TestRemote) self = g_object_ref (user_data);
  g_autoptr(GPtrArray) fakes = g_ptr_array_copy (self->fakes, NULL, NULL);

  g_clear_pointer (&self->answer, g_source_unref);

  for (guint i = 0; i < fakes->len; i++)
    if (g_ptr_array_find (self->fakes, fakes->pdata[i], NULL))
      fake_step (self, fakes->pdata[i]);

  mpaio_dispatch_run (&self->dispatch);
  return G_SOURCE_REMOVE;
}

/* The executor */

static gboolean
test_remote_attach_run (MpaioExecutor  *executor,
                        MpaioRun       *run,
                        GError        **error)
{
  return mpaio_dispatch_attach_run (&TEST_REMOTE (executor)->dispatch, run, error);
}

static void
test_remote_detach_run (MpaioExecutor *executor,
                        MpaioRun      *run)
{
  mpaio_dispatch_detach_run (&TEST_REMOTE (executor)->dispatch, run);
}

static guint
test_remote_get_max_workers (MpaioExecutor *executor)
{
  return TEST_REMOTE (executor)->dispatch.max_workers;
}

static void
test_remote_shutdown_async (MpaioExecutor       *executor,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  mpaio_dispatch_shutdown (&TEST_REMOTE (executor)->dispatch, cancellable, callback, user_data);
}

static void
test_remote_executor_iface_init (MpaioExecutorInterface *iface)
{
  iface->get_max_workers = test_remote_get_max_workers;
  iface->attach_run = test_remote_attach_run;
  iface->detach_run = test_remote_detach_run;
  iface->shutdown_async = test_remote_shutdown_async;
  iface->shutdown_finish = mpaio_executor_base_shutdown_finish;
}

static void
test_remote_dispose (GObject *object)
{
  TestRemote *self = TEST_REMOTE (object);

  mpaio_dispatch_close (&self->dispatch);
  mpaio_dispatch_free_peers (&self->dispatch);
  if (self->answer != NULL)
    {
      g_source_destroy (self->answer);
      g_clear_pointer (&self->answer, g_source_unref);
    }

  G_OBJECT_CLASS (test_remote_parent_class)->dispose (object);
}

static void
test_remote_finalize (GObject *object)
{
  TestRemote *self = TEST_REMOTE (object);

  mpaio_dispatch_clear (&self->dispatch);
  mpaio_executor_base_clear (&self->base);
  g_ptr_array_unref (self->fakes);
  g_string_free (self->log, TRUE);

  G_OBJECT_CLASS (test_remote_parent_class)->finalize (object);
}

static void
test_remote_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  g_value_set_uint (value, TEST_REMOTE (object)->dispatch.max_workers);
}

static void
test_remote_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  TEST_REMOTE (object)->dispatch.max_workers = g_value_get_uint (value);
}

static void
test_remote_class_init (TestRemoteClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = test_remote_dispose;
  object_class->finalize = test_remote_finalize;
  object_class->get_property = test_remote_get_property;
  object_class->set_property = test_remote_set_property;
  g_object_class_override_property (object_class, 1, "max-workers");
}

static void
test_remote_init (TestRemote *self)
{
  mpaio_executor_base_init (&self->base, G_OBJECT (self), &messages);
  mpaio_dispatch_init (&self->dispatch, &self->base, &fake_transport, self);
  self->fakes = g_ptr_array_new ();
  self->log = g_string_new (NULL);
}

/* The tests */

static void
shut_down (TestRemote *self)
{
  test_shutdown_sync (MPAIO_EXECUTOR (self));
  g_assert_cmpuint (self->fakes->len, ==, 0);
}

/* Whether peer @n was sent these messages, the first of each in this
 * order. */
static void
assert_in_order (const char *log,
                 guint       n,
                 ...)
{
  const char *at = log;
  const char *what;
  va_list args;

  va_start (args, n);
  while ((what = va_arg (args, const char *)))
    {
      g_autofree char *entry = g_strdup_printf ("%u:%s ", n, what);
      const char *found = strstr (log, entry);

      g_assert_nonnull (found);
      g_assert_true (found >= at);
      at = found;
    }
  va_end (args);
}

static void
test_sum (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestRemote) self = g_object_new (TEST_TYPE_REMOTE, "max-workers", 2, NULL);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (self), 10000, 37,
                                                                 &worker);

  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (worker->total, ==, test_sum_1_to_n (10000));
  g_assert_cmpuint (self->n_started, ==, 2);

  /* Each peer learns the memory, the worker and the binding before its
   * first jobs, and forgets the binding when the run is over; it keeps the
   * memory (alive as long as the caller holds it) and the worker. */
  g_test_message ("%s", self->log->str);
  for (guint n = 1; n <= 2; n++)
    assert_in_order (self->log->str, n, "memory", "worker", "bind", "jobs", "unbind", NULL);
  g_assert_null (strstr (self->log->str, "forget"));

  shut_down (self);
}

/* A peer that vanishes with jobs costs only its jobs: they go, as
 * suspects, to the others, and a new peer replaces it. */
static void
test_peer_vanishes (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestRemote) self = g_object_new (TEST_TYPE_REMOTE, "max-workers", 2, NULL);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (self), 10000, 37,
                                                                 &worker);

  self->dies = 1;
  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (worker->total, ==, test_sum_1_to_n (10000));
  g_assert_cmpuint (self->n_started, ==, 3);

  shut_down (self);
}

/* A reply for a chunk the peer does not hold breaks the protocol; the
 * transport then gives up on the peer and its run fails with the reason. */
static void
test_unasked_reply (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) run_error = NULL;
  g_autoptr(TestRemote) self = g_object_new (TEST_TYPE_REMOTE, "max-workers", 1, NULL);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (self), 100, 10,
                                                                 &worker);
  MpaioResultId id = { 999, 0, 5 };
  g_autoptr(GVariant) value = g_variant_ref_sink (g_variant_new_int64 (-1));
  MpaioMessage message = { MPAIO_MESSAGE_RESULT, NULL, -1 };
  TestRunWait wait;
  FakePeer *fake;

  test_run_start (orchestrator, NULL, &wait);
  while (self->fakes->len == 0 || !((FakePeer *) self->fakes->pdata[0])->said_hello)
    g_main_context_iteration (NULL, TRUE);

  fake = self->fakes->pdata[0];
  message.body = g_variant_ref_sink (mpaio_wire_result_build (1, &id, &value, 1));
  g_assert_false (mpaio_peer_receive (fake->peer, &message, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL);
  mpaio_message_clear (&message);

  mpaio_peer_abandon (fake->peer, g_steal_pointer (&error));
  while (!wait.done)
    g_main_context_iteration (NULL, TRUE);

  run_error = wait.error;
  g_assert_error (run_error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL);
  g_assert_cmpint (worker->total, ==, 0);

  shut_down (self);
}

/* Peers that die before their HELLO are started again, after a growing
 * delay, and then the run fails with the transport's explanation. */
static void
test_start_fails (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestRemote) self = g_object_new (TEST_TYPE_REMOTE, "max-workers", 1, NULL);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (self), 100, 10,
                                                                 &worker);

  self->no_hello = TRUE;
  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED);
  g_assert_cmpstr (error->message, ==, "Fake peer 3 vanished before it was ready");
  g_assert_cmpuint (self->n_started, ==, 3);

  shut_down (self);
}

/* A peer that dies before its HELLO costs only itself while another peer
 * is ready: the run goes on, even past the failures in a row that fail a
 * run with no peer ready, and the dead one is started again. */
static void
test_start_fails_beside_ready_peer (void)
{
  g_autoptr(TestRemote) self = g_object_new (TEST_TYPE_REMOTE, "max-workers", 2, NULL);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (self), 10000, 37,
                                                                 &worker);
  TestRunWait wait;

  /* Peer 1 is ready and holds its chunks while the others die. */
  self->first_dying = 2;
  self->hold = TRUE;
  test_run_start (orchestrator, NULL, &wait);
  while (self->n_early_deaths < 4 && !wait.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (wait.done);

  self->first_dying = 0;
  self->hold = FALSE;
  schedule_answer (self);
  while (!wait.done)
    g_main_context_iteration (NULL, TRUE);

  g_assert_no_error (wait.error);
  g_assert_true (wait.ok);
  g_assert_cmpint (worker->total, ==, test_sum_1_to_n (10000));
  g_assert_cmpuint (worker->n_callbacks, ==, (10000 + 36) / 37);
  g_assert_cmpuint (self->n_started, >=, 5);

  shut_down (self);
}

/* The number of chunks a peer holds is measured per run: after a run of
 * fast chunks has taken it to its maximum, a run of slow chunks starts
 * again from a small window and stays there, and a peer that stopped
 * answering holds no more than that window while the other does the
 * rest. */
static void
test_depth_per_run (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestRemote) self = g_object_new (TEST_TYPE_REMOTE, "max-workers", 2, NULL);
  g_autoptr(TestSumWorker) fast = NULL;
  g_autoptr(TestSumWorker) slow = NULL;
  g_autoptr(MpaioOrchestrator) fast_run = test_make_sum_run (MPAIO_EXECUTOR (self), 100000, 10,
                                                             &fast);
  g_autoptr(MpaioOrchestrator) slow_run = test_make_sum_run (MPAIO_EXECUTOR (self), 200, 1, &slow);
  FakePeer *stopped = NULL;
  TestRunWait wait;

  g_assert_true (test_run_sync (fast_run, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (self->fakes->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      FakePeer *fake = self->fakes->pdata[i];

      g_test_message ("fast run: peer %u held up to %u chunks", fake->number, fake->max_held);
      g_assert_cmpuint (fake->max_held, >, MPAIO_DISPATCH_START_IN_FLIGHT);
      fake->max_held = 0;
      if (fake->number == 2)
        stopped = fake;
    }

  self->slow = TRUE;
  self->stopped = 2;
  test_run_start (slow_run, NULL, &wait);
  while (slow->n_callbacks + stopped->jobs->len / 2 < 200)
    g_main_context_iteration (NULL, TRUE);

  for (guint i = 0; i < 2; i++)
    {
      FakePeer *fake = self->fakes->pdata[i];

      g_test_message ("slow run: peer %u held up to %u chunks", fake->number, fake->max_held);
      g_assert_cmpuint (fake->max_held, <=, MPAIO_DISPATCH_START_IN_FLIGHT);
    }

  self->stopped = 0;
  schedule_answer (self);
  while (!wait.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (wait.error);
  g_assert_cmpint (slow->total, ==, test_sum_1_to_n (200));

  shut_down (self);
}

/* A chunk's deadline counts from when the peer started it: when the reply
 * for the chunk before it came, not from when a timer last fired. */
static void
test_timeout_deadline (void)
{
  g_autoptr(TestRemote) self = g_object_new (TEST_TYPE_REMOTE, "max-workers", 1, NULL);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (self), 100, 10,
                                                                 &worker);
  const gint64 timeout = (gint64) 3600 * G_USEC_PER_SEC;
  gint64 sent_after, answered_before, answered_after;
  TestRunWait wait;
  FakePeer *fake;

  self->dispatch.chunk_timeout = timeout / 1000;
  self->hold = TRUE;
  sent_after = g_get_monotonic_time ();
  test_run_start (orchestrator, NULL, &wait);
  while (self->fakes->len == 0 || ((FakePeer *) self->fakes->pdata[0])->jobs->len == 0)
    g_main_context_iteration (NULL, TRUE);

  /* The first chunk started when it was sent. */
  fake = self->fakes->pdata[0];
  g_assert_cmpint (mpaio_peer_get_deadline (fake->peer), >=, sent_after + timeout);
  g_assert_cmpint (mpaio_peer_get_deadline (fake->peer), <=, g_get_monotonic_time () + timeout);

  /* The second when the first one's reply came. */
  answered_before = g_get_monotonic_time ();
  fake_answer (fake, 1, 1000);
  answered_after = g_get_monotonic_time ();
  g_assert_cmpint (mpaio_peer_get_deadline (fake->peer), >=, answered_before + timeout);
  g_assert_cmpint (mpaio_peer_get_deadline (fake->peer), <=, answered_after + timeout);

  self->hold = FALSE;
  schedule_answer (self);
  while (!wait.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (wait.ok);
  g_assert_cmpint (mpaio_peer_get_deadline (fake->peer), ==, 0);

  shut_down (self);
}

/* Runs a TestSumWorker on @iterator, which covers 1 to @n, and says which
 * peer (its number) each chunk went to. */
static void
run_sum_on (TestRemote        *self,
            MpaioDataIterator *iterator,
            guint64            n,
            guint             *peer_of_chunk)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (self));
  g_autoptr(TestSumWorker) worker = g_object_new (TEST_TYPE_SUM_WORKER, NULL);
  guint64 n_chunks = mpaio_data_iterator_get_n_chunks (iterator);

  for (guint i = 0; i < self->fakes->len; i++)
    g_array_set_size (((FakePeer *) self->fakes->pdata[i])->taken, 0);

  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), iterator);
  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (worker->total, ==, test_sum_1_to_n (n));

  memset (peer_of_chunk, 0, n_chunks * sizeof (guint));
  for (guint i = 0; i < self->fakes->len; i++)
    {
      FakePeer *fake = self->fakes->pdata[i];

      for (guint j = 0; j < fake->taken->len; j++)
        {
          guint64 chunk = g_array_index (fake->taken, guint64, j);

          g_assert_cmpuint (chunk, <, n_chunks);
          g_assert_cmpuint (peer_of_chunk[chunk], ==, 0);
          peer_of_chunk[chunk] = fake->number;
        }
    }
}

/* Where the chunks of peer 1, all first, give way to those of peer 2. */
static guint
split_of (const guint *peer_of_chunk,
          guint        n_chunks)
{
  guint split = 0;

  while (split < n_chunks && peer_of_chunk[split] == 1)
    split++;
  for (guint i = split; i < n_chunks; i++)
    g_assert_cmpuint (peer_of_chunk[i], ==, 2);

  return split;
}

/* A run gives each peer the chunks of the memory it had in the run
 * before, so that a worker process reads pages it mapped already: a peer
 * that joins takes from the end of the chunks of the others, as many as
 * it can while the others take theirs, and keeps them; once the split is
 * even, it stays. */
static void
test_chunk_affinity (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestRemote) self = g_object_new (TEST_TYPE_REMOTE, "max-workers", 1, NULL);
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (10000);
  g_autoptr(MpaioDataIterator) iterator = mpaio_data_iterator_new_for_dtype (memory, "<i8", 10000,
                                                                              100, &error);
  guint before[100], after[100];
  guint split;

  g_assert_no_error (error);
  run_sum_on (self, iterator, 10000, before);
  g_assert_cmpuint (split_of (before, 100), ==, 100);

  /* Peer 2 starts during the run, once peer 1 holds its first chunks. */
  self->dispatch.max_workers = 2;
  run_sum_on (self, iterator, 10000, after);
  split = split_of (after, 100);
  g_test_message ("With a second peer, peer 1 took chunks 0 to %u, peer 2 the rest", split - 1);
  g_assert_cmpuint (split, >, 0);
  g_assert_cmpuint (split, <, 100);

  /* Both peers ready from the start, equally fast. */
  run_sum_on (self, iterator, 10000, after);
  g_assert_cmpuint (split_of (after, 100), ==, 50);

  memcpy (before, after, sizeof after);
  run_sum_on (self, iterator, 10000, after);
  g_assert_cmpmem (after, sizeof after, before, sizeof before);

  shut_down (self);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mpaio/dispatch/sum", test_sum);
  g_test_add_func ("/mpaio/dispatch/peer-vanishes", test_peer_vanishes);
  g_test_add_func ("/mpaio/dispatch/unasked-reply", test_unasked_reply);
  g_test_add_func ("/mpaio/dispatch/start-fails", test_start_fails);
  g_test_add_func ("/mpaio/dispatch/start-fails-beside-ready-peer",
                   test_start_fails_beside_ready_peer);
  g_test_add_func ("/mpaio/dispatch/depth-per-run", test_depth_per_run);
  g_test_add_func ("/mpaio/dispatch/timeout-deadline", test_timeout_deadline);
  g_test_add_func ("/mpaio/dispatch/chunk-affinity", test_chunk_affinity);

  return g_test_run ();
}
