/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * TestCacheWorker: reports, from its worker process, what that process
 * remembers (mpaio_serve_count_cached()) and how much memory it holds. */
#include "config.h"

#include <stdio.h>

#include "mpaio-serve-private.h"

#include "test-workers.h"

struct _TestCacheWorker
{
  GObject   parent_instance;
  guint     tag;
  /* Seen in the caller's process. */
  GVariant *last;
};

static void test_cache_worker_iface_init (MpaioWorkerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestCacheWorker, test_cache_worker, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_WORKER, test_cache_worker_iface_init))

static guint64
resident_pages (void)
{
  g_autofree char *statm = NULL;
  guint64 size = 0, resident = 0;

  if (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL))
    sscanf (statm, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, &size, &resident);

  return resident;
}

static GVariant *
test_cache_worker_process (MpaioWorker  *worker,
                           MpaioChunk   *chunk,
                           GError      **error)
{
  guint n_memories, n_workers, n_bindings;

  mpaio_serve_count_cached (&n_memories, &n_workers, &n_bindings);
  return g_variant_new ("(uuut)", n_memories, n_workers, n_bindings, resident_pages ());
}

static void
test_cache_worker_process_callback (MpaioWorker *worker,
                                    guint64      chunk_index,
                                    GVariant    *result)
{
  TestCacheWorker *self = TEST_CACHE_WORKER (worker);

  g_clear_pointer (&self->last, g_variant_unref);
  self->last = g_variant_ref (result);
}

static void
test_cache_worker_iface_init (MpaioWorkerInterface *iface)
{
  iface->process = test_cache_worker_process;
  iface->process_callback = test_cache_worker_process_callback;
}

static void
test_cache_worker_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  g_value_set_uint (value, TEST_CACHE_WORKER (object)->tag);
}

static void
test_cache_worker_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  TEST_CACHE_WORKER (object)->tag = g_value_get_uint (value);
}

static void
test_cache_worker_finalize (GObject *object)
{
  g_clear_pointer (&TEST_CACHE_WORKER (object)->last, g_variant_unref);

  G_OBJECT_CLASS (test_cache_worker_parent_class)->finalize (object);
}

static void
test_cache_worker_class_init (TestCacheWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = test_cache_worker_get_property;
  object_class->set_property = test_cache_worker_set_property;
  object_class->finalize = test_cache_worker_finalize;

  g_object_class_install_property (object_class, 1,
                                   g_param_spec_uint ("tag", NULL, NULL, 0, G_MAXUINT, 0,
                                                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}

static void
test_cache_worker_init (TestCacheWorker *self)
{
}

TestCacheWorker *
test_cache_worker_new (guint tag)
{
  return g_object_new (TEST_TYPE_CACHE_WORKER, "tag", tag, NULL);
}

/* What the worker process said in the last chunk. */
void
test_cache_worker_get_counts (TestCacheWorker *self,
                              guint           *n_memories,
                              guint           *n_workers,
                              guint           *n_bindings,
                              guint64         *resident_pages)
{
  g_assert_nonnull (self->last);
  g_variant_get (self->last, "(uuut)", n_memories, n_workers, n_bindings, resident_pages);
}
