/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "test-workers.h"

/* TestSumWorker */

static void test_sum_worker_iface_init (MpaioWorkerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestSumWorker, test_sum_worker, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_WORKER, test_sum_worker_iface_init))

enum {
  SUM_PROP_0,
  SUM_PROP_FAIL_ON_CHUNK,
  SUM_PROP_CRASH_ON_CHUNK,
  SUM_PROP_ABORT_ON_CHUNK,
  SUM_PROP_EXIT_ON_CHUNK,
  SUM_PROP_BLOCK_ON_CHUNK,
  SUM_PROP_NULL_ON_CHUNK,
  SUM_PROP_CRASH_ONCE_FILE,
  SUM_PROP_BLOCK_ONCE_FILE,
  SUM_PROP_BLOCK_ALL,
  SUM_PROP_FAIL_DOMAIN,
  SUM_PROP_WRONG_TYPE,
  SUM_PROP_WRITE_INPUT,
  SUM_N_PROPS
};

static GVariant *
test_sum_worker_process (MpaioWorker  *worker,
                         MpaioChunk   *chunk,
                         GError      **error)
{
  TestSumWorker *self = TEST_SUM_WORKER (worker);
  const gint64 *values = mpaio_chunk_get_data (chunk, NULL);
  gint64 index = mpaio_chunk_get_index (chunk);
  gint64 sum = 0;

  g_atomic_int_inc (&self->n_processed);

  if (index == self->fail_on_chunk)
    {
      GQuark domain = self->fail_domain ? g_quark_from_string (self->fail_domain) : G_IO_ERROR;

      g_set_error (error, domain, G_IO_ERROR_INVALID_DATA, "chunk %" G_GINT64_FORMAT " is bad", index);
      return NULL;
    }

  if (index == self->crash_on_chunk)
    {
      g_printerr ("test worker: about to crash on chunk %" G_GINT64_FORMAT "\n", index);
      raise (SIGSEGV);
    }

  if (index == self->abort_on_chunk)
    abort ();

  if (index == self->exit_on_chunk)
    _exit (3);

  if (index == self->block_on_chunk)
    for (;;)
      pause ();

  if (index == self->null_on_chunk)
    return NULL;

  if (self->crash_once_file != NULL && index == 0)
    {
      int fd = open (self->crash_once_file, O_CREAT | O_EXCL | O_WRONLY, 0600);

      if (fd >= 0)
        raise (SIGKILL);
    }

  /* Blocks the first time any worker gets here: the file says it did, and
   * which process it is. */
  if (self->block_once_file != NULL && index == 0)
    {
      int fd = open (self->block_once_file, O_CREAT | O_EXCL | O_WRONLY, 0600);

      if (fd >= 0)
        {
          dprintf (fd, "%d\n", (int) getpid ());
          for (;;)
            pause ();
        }
    }

  if (self->block_all)
    for (;;)
      pause ();

  if (self->write_input)
    ((gint64 *) values)[0] = 42;

  for (guint64 i = 0; i < mpaio_chunk_get_n_elements (chunk); i++)
    sum += values[i];

  if (self->wrong_type)
    return g_variant_new_string ("not a number");

  return g_variant_new_int64 (sum);
}

static void
test_sum_worker_process_callback (MpaioWorker *worker,
                                  guint64      chunk_index,
                                  GVariant    *result)
{
  TestSumWorker *self = TEST_SUM_WORKER (worker);

  if (self->expected_context != NULL &&
      (g_main_context_get_thread_default () != self->expected_context ||
       !g_main_context_is_owner (self->expected_context)))
    self->wrong_context = TRUE;

  g_assert_false (g_hash_table_contains (self->seen_chunks, GSIZE_TO_POINTER (chunk_index + 1)));
  g_hash_table_add (self->seen_chunks, GSIZE_TO_POINTER (chunk_index + 1));
  self->total += g_variant_get_int64 (result);
  self->n_callbacks++;
}

static GVariantType *
test_sum_worker_dup_result_type (MpaioWorker *worker)
{
  return g_variant_type_copy (G_VARIANT_TYPE_INT64);
}

static void
test_sum_worker_iface_init (MpaioWorkerInterface *iface)
{
  iface->process = test_sum_worker_process;
  iface->process_callback = test_sum_worker_process_callback;
  iface->dup_result_type = test_sum_worker_dup_result_type;
}

static gint64 *
sum_chunk_field (TestSumWorker *self,
                 guint          prop_id)
{
  switch (prop_id)
    {
    case SUM_PROP_FAIL_ON_CHUNK: return &self->fail_on_chunk;
    case SUM_PROP_CRASH_ON_CHUNK: return &self->crash_on_chunk;
    case SUM_PROP_ABORT_ON_CHUNK: return &self->abort_on_chunk;
    case SUM_PROP_EXIT_ON_CHUNK: return &self->exit_on_chunk;
    case SUM_PROP_BLOCK_ON_CHUNK: return &self->block_on_chunk;
    case SUM_PROP_NULL_ON_CHUNK: return &self->null_on_chunk;
    default: return NULL;
    }
}

static void
test_sum_worker_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  TestSumWorker *self = TEST_SUM_WORKER (object);
  gint64 *field = sum_chunk_field (self, prop_id);

  if (field != NULL)
    g_value_set_int64 (value, *field);
  else if (prop_id == SUM_PROP_CRASH_ONCE_FILE)
    g_value_set_string (value, self->crash_once_file);
  else if (prop_id == SUM_PROP_BLOCK_ONCE_FILE)
    g_value_set_string (value, self->block_once_file);
  else if (prop_id == SUM_PROP_BLOCK_ALL)
    g_value_set_boolean (value, self->block_all);
  else if (prop_id == SUM_PROP_FAIL_DOMAIN)
    g_value_set_string (value, self->fail_domain);
  else if (prop_id == SUM_PROP_WRONG_TYPE)
    g_value_set_boolean (value, self->wrong_type);
  else
    g_value_set_boolean (value, self->write_input);
}

static void
test_sum_worker_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  TestSumWorker *self = TEST_SUM_WORKER (object);
  gint64 *field = sum_chunk_field (self, prop_id);

  if (field != NULL)
    *field = g_value_get_int64 (value);
  else if (prop_id == SUM_PROP_CRASH_ONCE_FILE)
    {
      g_free (self->crash_once_file);
      self->crash_once_file = g_value_dup_string (value);
    }
  else if (prop_id == SUM_PROP_BLOCK_ONCE_FILE)
    {
      g_free (self->block_once_file);
      self->block_once_file = g_value_dup_string (value);
    }
  else if (prop_id == SUM_PROP_BLOCK_ALL)
    self->block_all = g_value_get_boolean (value);
  else if (prop_id == SUM_PROP_FAIL_DOMAIN)
    {
      g_free (self->fail_domain);
      self->fail_domain = g_value_dup_string (value);
    }
  else if (prop_id == SUM_PROP_WRONG_TYPE)
    self->wrong_type = g_value_get_boolean (value);
  else
    self->write_input = g_value_get_boolean (value);
}

static void
test_sum_worker_finalize (GObject *object)
{
  TestSumWorker *self = TEST_SUM_WORKER (object);

  g_free (self->crash_once_file);
  g_free (self->block_once_file);
  g_free (self->fail_domain);
  g_hash_table_unref (self->seen_chunks);

  G_OBJECT_CLASS (test_sum_worker_parent_class)->finalize (object);
}

static void
test_sum_worker_class_init (TestSumWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const char *chunk_props[] = {
    NULL, "fail-on-chunk", "crash-on-chunk", "abort-on-chunk", "exit-on-chunk",
    "block-on-chunk", "null-on-chunk",
  };
  GParamSpec *pspecs[SUM_N_PROPS] = { NULL };

  object_class->finalize = test_sum_worker_finalize;
  object_class->get_property = test_sum_worker_get_property;
  object_class->set_property = test_sum_worker_set_property;

  for (guint i = SUM_PROP_FAIL_ON_CHUNK; i <= SUM_PROP_NULL_ON_CHUNK; i++)
    pspecs[i] = g_param_spec_int64 (chunk_props[i], NULL, NULL, -1, G_MAXINT64, -1,
                                    G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  pspecs[SUM_PROP_CRASH_ONCE_FILE] =
    g_param_spec_string ("crash-once-file", NULL, NULL, NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  pspecs[SUM_PROP_BLOCK_ONCE_FILE] =
    g_param_spec_string ("block-once-file", NULL, NULL, NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  pspecs[SUM_PROP_BLOCK_ALL] =
    g_param_spec_boolean ("block-all", NULL, NULL, FALSE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  pspecs[SUM_PROP_FAIL_DOMAIN] =
    g_param_spec_string ("fail-domain", NULL, NULL, NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  pspecs[SUM_PROP_WRONG_TYPE] =
    g_param_spec_boolean ("wrong-type", NULL, NULL, FALSE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  pspecs[SUM_PROP_WRITE_INPUT] =
    g_param_spec_boolean ("write-input", NULL, NULL, FALSE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, SUM_N_PROPS, pspecs);
}

static void
test_sum_worker_init (TestSumWorker *self)
{
  self->fail_on_chunk = self->crash_on_chunk = self->abort_on_chunk = -1;
  self->exit_on_chunk = self->block_on_chunk = self->null_on_chunk = -1;
  self->seen_chunks = g_hash_table_new (NULL, NULL);
}

/* TestConcatWorker */

static void test_concat_worker_iface_init (MpaioWorkerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestConcatWorker, test_concat_worker, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_WORKER, test_concat_worker_iface_init))

static GVariant *
test_concat_worker_process (MpaioWorker  *worker,
                            MpaioChunk   *chunk,
                            GError      **error)
{
  g_autoptr(GBytes) bytes = mpaio_chunk_dup_bytes (chunk);
  const char *records = g_bytes_get_data (bytes, NULL);
  gsize width = mpaio_chunk_get_element_size (chunk);
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint64 i = 0; i < mpaio_chunk_get_n_elements (chunk); i++)
    g_string_append_len (out, records + i * width, strnlen (records + i * width, width));

  return g_variant_new_string (out->str);
}

static void
test_concat_worker_process_callback (MpaioWorker *worker,
                                     guint64      chunk_index,
                                     GVariant    *result)
{
  TestConcatWorker *self = TEST_CONCAT_WORKER (worker);

  if (chunk_index >= self->parts->len)
    g_ptr_array_set_size (self->parts, chunk_index + 1);
  g_assert_null (g_ptr_array_index (self->parts, chunk_index));
  g_ptr_array_index (self->parts, chunk_index) = g_variant_dup_string (result, NULL);
}

static void
test_concat_worker_iface_init (MpaioWorkerInterface *iface)
{
  iface->process = test_concat_worker_process;
  iface->process_callback = test_concat_worker_process_callback;
}

static void
test_concat_worker_finalize (GObject *object)
{
  g_ptr_array_unref (TEST_CONCAT_WORKER (object)->parts);

  G_OBJECT_CLASS (test_concat_worker_parent_class)->finalize (object);
}

static void
test_concat_worker_class_init (TestConcatWorkerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_concat_worker_finalize;
}

static void
test_concat_worker_init (TestConcatWorker *self)
{
  self->parts = g_ptr_array_new_with_free_func (g_free);
}

char *
test_concat_worker_dup_text (TestConcatWorker *self)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < self->parts->len; i++)
    g_string_append (text, g_ptr_array_index (self->parts, i));

  return g_string_free (text, FALSE);
}

/* TestSquareWorker */

struct _TestSquareWorker
{
  GObject  parent_instance;
  gboolean overrun;
  gboolean through_api;
};

static void test_square_worker_iface_init (MpaioWorkerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestSquareWorker, test_square_worker, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_WORKER, test_square_worker_iface_init))

static GVariant *
test_square_worker_process (MpaioWorker  *worker,
                            MpaioChunk   *chunk,
                            GError      **error)
{
  TestSquareWorker *self = TEST_SQUARE_WORKER (worker);
  const gint64 *values = mpaio_chunk_get_data (chunk, NULL);
  guint64 n = mpaio_chunk_get_n_elements (chunk) + (self->overrun ? 1 : 0);
  gint64 *squares = mpaio_chunk_get_output_data (chunk, NULL);

  for (guint64 i = 0; i < n; i++)
    {
      gint64 square = values[MIN (i, n - 1 - self->overrun)] * values[MIN (i, n - 1 - self->overrun)];

      if (!self->through_api)
        squares[i] = square;
      else if (!mpaio_chunk_write_output (chunk, i * sizeof square, (const guint8 *) &square,
                                          sizeof square, error))
        return NULL;
    }

  return g_variant_new_uint64 (n);
}

static void
test_square_worker_iface_init (MpaioWorkerInterface *iface)
{
  iface->process = test_square_worker_process;
}

static void
test_square_worker_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  TestSquareWorker *self = TEST_SQUARE_WORKER (object);

  g_value_set_boolean (value, prop_id == 1 ? self->overrun : self->through_api);
}

static void
test_square_worker_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  TestSquareWorker *self = TEST_SQUARE_WORKER (object);

  if (prop_id == 1)
    self->overrun = g_value_get_boolean (value);
  else
    self->through_api = g_value_get_boolean (value);
}

static void
test_square_worker_class_init (TestSquareWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = test_square_worker_get_property;
  object_class->set_property = test_square_worker_set_property;

  g_object_class_install_property (object_class, 1,
                                   g_param_spec_boolean ("overrun", NULL, NULL, FALSE,
                                                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (object_class, 2,
                                   g_param_spec_boolean ("through-api", NULL, NULL, FALSE,
                                                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}

static void
test_square_worker_init (TestSquareWorker *self)
{
}

/* TestPropsWorker: echoes its properties as its result. */

struct _TestPropsWorker
{
  GObject   parent_instance;

  gboolean  flag;
  int       number;
  guint     unsigned_number;
  gint64    big;
  guint64   ubig;
  double    real;
  float     small_real;
  char     *text;
  char    **words;
  GBytes   *bytes;
  GVariant *variant;
  GObject  *object;
  GTlsAuthenticationMode mode;
  GFileCreateFlags file_flags;
};

static void test_props_worker_iface_init (MpaioWorkerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestPropsWorker, test_props_worker, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_WORKER, test_props_worker_iface_init))

enum {
  PROPS_PROP_0,
  PROPS_PROP_FLAG,
  PROPS_PROP_NUMBER,
  PROPS_PROP_UNSIGNED,
  PROPS_PROP_BIG,
  PROPS_PROP_UBIG,
  PROPS_PROP_REAL,
  PROPS_PROP_SMALL_REAL,
  PROPS_PROP_TEXT,
  PROPS_PROP_WORDS,
  PROPS_PROP_BYTES,
  PROPS_PROP_VARIANT,
  PROPS_PROP_OBJECT,
  PROPS_PROP_MODE,
  PROPS_PROP_FILE_FLAGS,
  PROPS_N_PROPS
};

static GVariant *
test_props_worker_process (MpaioWorker  *worker,
                           MpaioChunk   *chunk,
                           GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GVariant) spec = mpaio_worker_serialize (worker, &local_error);

  g_assert_no_error (local_error);
  return g_variant_get_child_value (spec, 1);
}

static void
test_props_worker_iface_init (MpaioWorkerInterface *iface)
{
  iface->process = test_props_worker_process;
}

static void
test_props_worker_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  TestPropsWorker *self = TEST_PROPS_WORKER (object);

  switch (prop_id)
    {
    case PROPS_PROP_FLAG: g_value_set_boolean (value, self->flag); break;
    case PROPS_PROP_NUMBER: g_value_set_int (value, self->number); break;
    case PROPS_PROP_UNSIGNED: g_value_set_uint (value, self->unsigned_number); break;
    case PROPS_PROP_BIG: g_value_set_int64 (value, self->big); break;
    case PROPS_PROP_UBIG: g_value_set_uint64 (value, self->ubig); break;
    case PROPS_PROP_REAL: g_value_set_double (value, self->real); break;
    case PROPS_PROP_SMALL_REAL: g_value_set_float (value, self->small_real); break;
    case PROPS_PROP_TEXT: g_value_set_string (value, self->text); break;
    case PROPS_PROP_WORDS: g_value_set_boxed (value, self->words); break;
    case PROPS_PROP_BYTES: g_value_set_boxed (value, self->bytes); break;
    case PROPS_PROP_VARIANT: g_value_set_variant (value, self->variant); break;
    case PROPS_PROP_OBJECT: g_value_set_object (value, self->object); break;
    case PROPS_PROP_MODE: g_value_set_enum (value, self->mode); break;
    case PROPS_PROP_FILE_FLAGS: g_value_set_flags (value, self->file_flags); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
test_props_worker_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  TestPropsWorker *self = TEST_PROPS_WORKER (object);

  switch (prop_id)
    {
    case PROPS_PROP_FLAG: self->flag = g_value_get_boolean (value); break;
    case PROPS_PROP_NUMBER: self->number = g_value_get_int (value); break;
    case PROPS_PROP_UNSIGNED: self->unsigned_number = g_value_get_uint (value); break;
    case PROPS_PROP_BIG: self->big = g_value_get_int64 (value); break;
    case PROPS_PROP_UBIG: self->ubig = g_value_get_uint64 (value); break;
    case PROPS_PROP_REAL: self->real = g_value_get_double (value); break;
    case PROPS_PROP_SMALL_REAL: self->small_real = g_value_get_float (value); break;
    case PROPS_PROP_TEXT:
      g_free (self->text);
      self->text = g_value_dup_string (value);
      break;
    case PROPS_PROP_WORDS:
      g_strfreev (self->words);
      self->words = g_value_dup_boxed (value);
      break;
    case PROPS_PROP_BYTES:
      g_clear_pointer (&self->bytes, g_bytes_unref);
      self->bytes = g_value_dup_boxed (value);
      break;
    case PROPS_PROP_VARIANT:
      g_clear_pointer (&self->variant, g_variant_unref);
      self->variant = g_value_dup_variant (value);
      break;
    case PROPS_PROP_OBJECT: g_set_object (&self->object, g_value_get_object (value)); break;
    case PROPS_PROP_MODE: self->mode = g_value_get_enum (value); break;
    case PROPS_PROP_FILE_FLAGS: self->file_flags = g_value_get_flags (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
test_props_worker_finalize (GObject *object)
{
  TestPropsWorker *self = TEST_PROPS_WORKER (object);

  g_free (self->text);
  g_strfreev (self->words);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  g_clear_pointer (&self->variant, g_variant_unref);
  g_clear_object (&self->object);

  G_OBJECT_CLASS (test_props_worker_parent_class)->finalize (object);
}

static void
test_props_worker_class_init (TestPropsWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  GParamSpec *pspecs[PROPS_N_PROPS] = { NULL };

  object_class->finalize = test_props_worker_finalize;
  object_class->get_property = test_props_worker_get_property;
  object_class->set_property = test_props_worker_set_property;

  pspecs[PROPS_PROP_FLAG] = g_param_spec_boolean ("flag", NULL, NULL, FALSE, rw);
  pspecs[PROPS_PROP_NUMBER] = g_param_spec_int ("number", NULL, NULL, G_MININT, G_MAXINT, 0, rw);
  pspecs[PROPS_PROP_UNSIGNED] = g_param_spec_uint ("unsigned", NULL, NULL, 0, G_MAXUINT, 0, rw);
  pspecs[PROPS_PROP_BIG] = g_param_spec_int64 ("big", NULL, NULL, G_MININT64, G_MAXINT64, 0, rw);
  pspecs[PROPS_PROP_UBIG] = g_param_spec_uint64 ("ubig", NULL, NULL, 0, G_MAXUINT64, 0, rw);
  pspecs[PROPS_PROP_REAL] = g_param_spec_double ("real", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, rw);
  pspecs[PROPS_PROP_SMALL_REAL] = g_param_spec_float ("small-real", NULL, NULL, -G_MAXFLOAT, G_MAXFLOAT, 0, rw);
  pspecs[PROPS_PROP_TEXT] = g_param_spec_string ("text", NULL, NULL, NULL, rw);
  pspecs[PROPS_PROP_WORDS] = g_param_spec_boxed ("words", NULL, NULL, G_TYPE_STRV, rw);
  pspecs[PROPS_PROP_BYTES] = g_param_spec_boxed ("bytes", NULL, NULL, G_TYPE_BYTES, rw);
  pspecs[PROPS_PROP_VARIANT] = g_param_spec_variant ("variant", NULL, NULL, G_VARIANT_TYPE_ANY, NULL, rw);
  pspecs[PROPS_PROP_OBJECT] = g_param_spec_object ("object", NULL, NULL, G_TYPE_OBJECT, rw);
  pspecs[PROPS_PROP_MODE] = g_param_spec_enum ("mode", NULL, NULL, G_TYPE_TLS_AUTHENTICATION_MODE,
                                               G_TLS_AUTHENTICATION_NONE, rw);
  pspecs[PROPS_PROP_FILE_FLAGS] = g_param_spec_flags ("file-flags", NULL, NULL, G_TYPE_FILE_CREATE_FLAGS,
                                                      G_FILE_CREATE_NONE, rw);

  g_object_class_install_properties (object_class, PROPS_N_PROPS, pspecs);
}

static void
test_props_worker_init (TestPropsWorker *self)
{
}

void
test_workers_register (void)
{
  g_type_ensure (TEST_TYPE_SUM_WORKER);
  g_type_ensure (TEST_TYPE_CONCAT_WORKER);
  g_type_ensure (TEST_TYPE_PROPS_WORKER);
  g_type_ensure (TEST_TYPE_SQUARE_WORKER);
  g_type_ensure (TEST_TYPE_CACHE_WORKER);
}

MpaioSharedMemory *
test_make_int64_memory (guint64 n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new (n * sizeof (gint64), &error);
  gint64 *values;

  g_assert_no_error (error);
  values = mpaio_shared_memory_get_writable_data (memory);
  for (guint64 i = 0; i < n; i++)
    values[i] = i + 1;

  mpaio_shared_memory_seal (memory, &error);
  g_assert_no_error (error);

  return g_steal_pointer (&memory);
}

gint64
test_sum_1_to_n (guint64 n)
{
  return (gint64) (n * (n + 1) / 2);
}

static void
on_run_done (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  TestRunWait *wait = user_data;

  wait->ok = mpaio_orchestrator_run_finish (MPAIO_ORCHESTRATOR (object), result, &wait->error);
  wait->done = TRUE;
}

/* Starts a run whose outcome lands in @wait; the caller iterates. */
void
test_run_start (MpaioOrchestrator *orchestrator,
                GCancellable      *cancellable,
                TestRunWait       *wait)
{
  *wait = (TestRunWait) { FALSE, FALSE, NULL };
  mpaio_orchestrator_run_async (orchestrator, cancellable, on_run_done, wait);
  g_assert_false (wait->done);  /* never called back synchronously */
}

/* Runs @orchestrator on the thread-default main context until it is done. */
gboolean
test_run_sync (MpaioOrchestrator  *orchestrator,
               GCancellable       *cancellable,
               GError            **error)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  TestRunWait wait;

  test_run_start (orchestrator, cancellable, &wait);
  while (!wait.done)
    g_main_context_iteration (context, TRUE);

  if (wait.error != NULL)
    g_propagate_error (error, wait.error);

  return wait.ok;
}

static void
on_shutdown_done (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_assert_true (mpaio_executor_shutdown_finish (MPAIO_EXECUTOR (object), result, NULL));
  *(gboolean *) user_data = TRUE;
}

/* CPU time this thread has spent: what a test asserts where wall time
 * would depend on the load. */
gint64
test_thread_cpu_usec (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* Shuts @executor down, running the thread-default main context until it
 * is done. */
/* The run fails with that error, whose message the log shows. */
void
test_assert_run_fails (MpaioOrchestrator *orchestrator,
                       GQuark             domain,
                       int                code)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, domain, code);
  g_test_message ("%s", error->message);
}

void
test_shutdown_sync (MpaioExecutor *executor)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  gboolean done = FALSE;

  mpaio_executor_shutdown_async (executor, NULL, on_shutdown_done, &done);
  while (!done)
    g_main_context_iteration (context, TRUE);
}

/* The explicit worker program built next to the tests. */
char **
test_worker_argv (gboolean register_types)
{
  char **argv = g_new0 (char *, 3);

  argv[0] = g_test_build_filename (G_TEST_BUILT, "mpaio-test-worker", NULL);
  argv[1] = g_strdup (register_types ? "--register" : "--no-register");
  return argv;
}

/* A run summing 1..n_values on @executor; the worker is returned for its
 * totals. */
MpaioOrchestrator *
test_make_sum_run (MpaioExecutor  *executor,
                   guint64         n_values,
                   guint64         chunk_size,
                   TestSumWorker **worker_out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (n_values);
  g_autoptr(MpaioDataIterator) iterator = mpaio_data_iterator_new_for_dtype (memory, "<i8", n_values,
                                                                              chunk_size, &error);
  MpaioOrchestrator *orchestrator = mpaio_orchestrator_new (executor);
  TestSumWorker *worker = g_object_new (TEST_TYPE_SUM_WORKER, NULL);

  g_assert_no_error (error);
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), iterator);
  *worker_out = worker;
  return orchestrator;
}

/* Whether each process has exited: gone, or a zombie that nobody reaped
 * yet (orphans wait for init). */
gboolean
test_pids_gone (const int *pids,
                guint      n_pids)
{
  for (guint i = 0; i < n_pids; i++)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pids[i]);
      g_autofree char *stat = NULL;
      const char *state;

      if (!g_file_get_contents (path, &stat, NULL, NULL))
        continue;

      state = strrchr (stat, ')');
      if (state == NULL || state[1] == '\0' || state[2] != 'Z')
        return FALSE;
    }

  return TRUE;
}

static void
on_tick (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* Lets the main context run for a few milliseconds: for loops that wait
 * for something outside it, such as another process exiting. */
void
test_iterate_a_while (void)
{
  gboolean ticked = FALSE;

  g_timeout_add_once (5, on_tick, &ticked);
  while (!ticked)
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
on_deadline (gpointer user_data)
{
  g_error ("Processes did not exit");
  return G_SOURCE_REMOVE;
}

/* Iterates until the processes are gone; a generous deadline turns a hang
 * into a failure. */
void
test_wait_for_pids_gone (const int *pids,
                         guint      n_pids)
{
  guint deadline = g_timeout_add_seconds (20, on_deadline, NULL);

  while (!test_pids_gone (pids, n_pids))
    test_iterate_a_while ();

  g_source_remove (deadline);
}

static void
cancel_after_first (MpaioOrchestrator *orchestrator,
                    GParamSpec        *pspec,
                    GCancellable      *cancellable)
{
  if (mpaio_orchestrator_get_n_chunks_done (orchestrator) >= 1)
    g_cancellable_cancel (cancellable);
}

/* Cancels @cancellable as soon as @orchestrator has delivered a result. */
void
test_cancel_after_first_result (MpaioOrchestrator *orchestrator,
                                GCancellable      *cancellable)
{
  g_signal_connect (orchestrator, "notify::n-chunks-done", G_CALLBACK (cancel_after_first), cancellable);
}

/* Squares 1..n_values into a new output memory on @executor. */
gboolean
test_run_squares (MpaioExecutor      *executor,
                  guint64             n_values,
                  guint64             chunk_size,
                  TestSquareWorker   *worker,
                  MpaioSharedMemory **output_out,
                  GError            **error)
{
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (n_values);
  g_autoptr(MpaioDataIterator) iterator = mpaio_data_iterator_new (memory, 8, n_values, chunk_size, NULL);
  g_autoptr(MpaioSharedMemory) output = mpaio_shared_memory_new (n_values * 8, NULL);
  g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (executor);

  mpaio_orchestrator_add_with_output (orchestrator, MPAIO_WORKER (worker), iterator, output, 8);
  *output_out = g_steal_pointer (&output);
  return test_run_sync (orchestrator, NULL, error);
}

void
test_assert_squares (MpaioSharedMemory *output,
                     guint64            n_values)
{
  const gint64 *squares = mpaio_shared_memory_get_data (output);

  for (guint64 i = 0; i < n_values; i++)
    if (squares[i] != (gint64) ((i + 1) * (i + 1)))
      g_error ("Element %" G_GUINT64_FORMAT " is %" G_GINT64_FORMAT, i, squares[i]);
}
