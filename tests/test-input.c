/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input memories as workers see them: sealed memfds, files (raw and .npy),
 * and inputs that a worker writes to or that shrink under a run. The
 * program is its own worker: pools here start it again. */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "test-workers.h"

#define N_VALUES 10000

/* Workers of this program */

/* Answers whether its input is sealed, and whether it could write to it
 * anyway: (sealed, writable mapping refused, mprotect refused). */
#define TEST_TYPE_SEAL_PROBE_WORKER (test_seal_probe_worker_get_type ())
G_DECLARE_FINAL_TYPE (TestSealProbeWorker, test_seal_probe_worker, TEST, SEAL_PROBE_WORKER, GObject)

struct _TestSealProbeWorker
{
  GObject   parent_instance;
  GVariant *answer;
};

static GVariant *
test_seal_probe_worker_process (MpaioWorker  *worker,
                                MpaioChunk   *chunk,
                                GError      **error)
{
  MpaioSharedMemory *input = mpaio_chunk_get_memory (chunk);
  int fd = mpaio_shared_memory_get_fd (input);
  gpointer page = (gpointer) mpaio_shared_memory_get_data (input);
  gpointer view = mmap (NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  gboolean mmap_refused = view == MAP_FAILED;
  gboolean mprotect_refused = mprotect (page, 4096, PROT_READ | PROT_WRITE) < 0;

  if (!mmap_refused)
    munmap (view, 4096);

  return g_variant_new ("(bbb)", mpaio_shared_memory_is_sealed (input), mmap_refused,
                        mprotect_refused);
}

static void
test_seal_probe_worker_process_callback (MpaioWorker *worker,
                                         guint64      chunk_index,
                                         GVariant    *result)
{
  TestSealProbeWorker *self = TEST_SEAL_PROBE_WORKER (worker);

  g_clear_pointer (&self->answer, g_variant_unref);
  self->answer = g_variant_ref (result);
}

static void
test_seal_probe_worker_iface_init (MpaioWorkerInterface *iface)
{
  iface->process = test_seal_probe_worker_process;
  iface->process_callback = test_seal_probe_worker_process_callback;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestSealProbeWorker, test_seal_probe_worker, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_WORKER,
                                                      test_seal_probe_worker_iface_init))

static void
test_seal_probe_worker_finalize (GObject *object)
{
  g_clear_pointer (&TEST_SEAL_PROBE_WORKER (object)->answer, g_variant_unref);
  G_OBJECT_CLASS (test_seal_probe_worker_parent_class)->finalize (object);
}

static void
test_seal_probe_worker_class_init (TestSealProbeWorkerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_seal_probe_worker_finalize;
}

static void
test_seal_probe_worker_init (TestSealProbeWorker *self)
{
}

/* Shrinks its input to nothing on chunk 0, then reads the chunk: a file
 * ("path" is a path) or a POSIX shared memory ("path" is "shm:NAME"). */
#define TEST_TYPE_SHRINK_WORKER (test_shrink_worker_get_type ())
G_DECLARE_FINAL_TYPE (TestShrinkWorker, test_shrink_worker, TEST, SHRINK_WORKER, GObject)

struct _TestShrinkWorker
{
  GObject  parent_instance;
  char    *path;
};

static void
shrink (const char *path)
{
  int fd = g_str_has_prefix (path, "shm:") ? shm_open (path + 4, O_RDWR, 0) : open (path, O_RDWR);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, 0), ==, 0);
  close (fd);
}

static GVariant *
test_shrink_worker_process (MpaioWorker  *worker,
                            MpaioChunk   *chunk,
                            GError      **error)
{
  TestShrinkWorker *self = TEST_SHRINK_WORKER (worker);
  const gint64 *values = mpaio_chunk_get_data (chunk, NULL);
  gint64 sum = 0;

  if (mpaio_chunk_get_index (chunk) == 0)
    shrink (self->path);

  for (guint64 i = 0; i < mpaio_chunk_get_n_elements (chunk); i++)
    sum += values[i];

  return g_variant_new_int64 (sum);
}

static void
test_shrink_worker_iface_init (MpaioWorkerInterface *iface)
{
  iface->process = test_shrink_worker_process;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestShrinkWorker, test_shrink_worker, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_WORKER,
                                                      test_shrink_worker_iface_init))

static void
test_shrink_worker_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  g_value_set_string (value, TEST_SHRINK_WORKER (object)->path);
}

static void
test_shrink_worker_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  TestShrinkWorker *self = TEST_SHRINK_WORKER (object);

  g_free (self->path);
  self->path = g_value_dup_string (value);
}

static void
test_shrink_worker_finalize (GObject *object)
{
  g_free (TEST_SHRINK_WORKER (object)->path);
  G_OBJECT_CLASS (test_shrink_worker_parent_class)->finalize (object);
}

static void
test_shrink_worker_class_init (TestShrinkWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = test_shrink_worker_get_property;
  object_class->set_property = test_shrink_worker_set_property;
  object_class->finalize = test_shrink_worker_finalize;
  g_object_class_install_property (object_class, 1,
                                   g_param_spec_string ("path", NULL, NULL, NULL,
                                                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}

static void
test_shrink_worker_init (TestShrinkWorker *self)
{
}

/* Helpers */

static MpaioProcessPool *pool;

static gboolean
run (MpaioExecutor      *executor,
     MpaioWorker        *worker,
     MpaioDataIterator  *iterator,
     GError            **error)
{
  g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (executor);

  mpaio_orchestrator_add (orchestrator, worker, iterator);
  return test_run_sync (orchestrator, NULL, error);
}

static gint64
sum_array (MpaioExecutor     *executor,
           MpaioSharedMemory *memory,
           guint64            chunk_size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioDataIterator) iterator = mpaio_data_iterator_new_for_array (memory, chunk_size, &error);
  g_autoptr(TestSumWorker) worker = g_object_new (TEST_TYPE_SUM_WORKER, NULL);

  g_assert_no_error (error);
  g_assert_true (run (executor, MPAIO_WORKER (worker), iterator, &error));
  g_assert_no_error (error);

  return worker->total;
}

static char *
make_temp_path (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("mpaio-test-input-XXXXXX", &error);

  g_assert_no_error (error);
  return g_build_filename (dir, name, NULL);
}

static void
remove_temp_path (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);

  g_unlink (path);
  g_rmdir (dir);
}

static GBytes *
int64_values (guint64 n)
{
  gint64 *values = g_new (gint64, n);

  for (guint64 i = 0; i < n; i++)
    values[i] = i + 1;

  return g_bytes_new_take (values, n * sizeof (gint64));
}

/* A .npy file as numpy.save() writes it: the header padded with spaces
 * and a newline so that the data starts at a multiple of 64. */
static void
write_npy (const char *path,
           guint8      major,
           const char *dict,
           GBytes     *data)
{
  g_autoptr(GString) file = g_string_new_len ("\x93NUMPY", 6);
  gsize preamble = major == 1 ? 10 : 12;
  gsize header_length = strlen (dict) + 1;
  g_autoptr(GError) error = NULL;

  header_length += (64 - (preamble + header_length) % 64) % 64;
  g_string_append_c (file, major);
  g_string_append_c (file, 0);
  for (gsize i = 0; i < preamble - 8; i++)
    g_string_append_c (file, (header_length >> (8 * i)) & 0xff);
  g_string_append (file, dict);
  while (file->len < preamble + header_length - 1)
    g_string_append_c (file, ' ');
  g_string_append_c (file, '\n');
  if (data != NULL)
    g_string_append_len (file, g_bytes_get_data (data, NULL), g_bytes_get_size (data));

  g_file_set_contents (path, file->str, file->len, &error);
  g_assert_no_error (error);
}

/* Sealed memfds */

static void
test_worker_sees_sealed_memfd (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (1024);
  g_autoptr(MpaioDataIterator) iterator = mpaio_data_iterator_new_for_dtype (memory, "<i8", 1024, 1024, &error);
  g_autoptr(TestSealProbeWorker) worker = g_object_new (TEST_TYPE_SEAL_PROBE_WORKER, NULL);
  gboolean sealed, mmap_refused, mprotect_refused;

  g_assert_true (run (MPAIO_EXECUTOR (pool), MPAIO_WORKER (worker), iterator, &error));
  g_assert_no_error (error);

  /* Sealed in place, the memfd is still sealed for good in the worker. */
  g_variant_get (worker->answer, "(bbb)", &sealed, &mmap_refused, &mprotect_refused);
  g_assert_true (sealed);
  g_assert_true (mmap_refused);
  g_assert_true (mprotect_refused);
}

static void
test_thread_pool_refuses_writes (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(MpaioThreadPool) threads = mpaio_thread_pool_new (2);
      g_autoptr(TestSumWorker) worker = NULL;
      g_autoptr(MpaioOrchestrator) orchestrator =
        test_make_sum_run (MPAIO_EXECUTOR (threads), 100, 10, &worker);

      /* The threads share the caller's sealed view: the write faults. */
      g_object_set (worker, "write-input", TRUE, NULL);
      test_run_sync (orchestrator, NULL, NULL);
      g_test_message ("the run ended");
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stdout_unmatched ("*run ended*");
}

/* Files */

static void
test_raw_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = make_temp_path ("values.raw");
  g_autoptr(GBytes) values = int64_values (N_VALUES);
  g_autoptr(GString) contents = g_string_new ("sixteen bytes...");
  g_autoptr(MpaioSharedMemory) memory = NULL;
  guint n_dims;

  /* A header of its own, then the elements, then half an element. */
  g_string_append_len (contents, g_bytes_get_data (values, NULL), g_bytes_get_size (values));
  g_string_append (contents, "tail");
  g_file_set_contents (path, contents->str, contents->len, &error);
  g_assert_no_error (error);

  memory = mpaio_shared_memory_new_for_path (path, "<i8", 16, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mpaio_shared_memory_get_dtype (memory), ==, "<i8");
  g_assert_cmpuint (mpaio_shared_memory_get_shape (memory, &n_dims)[0], ==, N_VALUES);
  g_assert_cmpuint (n_dims, ==, 1);
  g_assert_cmpuint (mpaio_shared_memory_get_array_offset (memory), ==, 16);
  g_assert_false (mpaio_shared_memory_is_writable (memory));

  g_assert_cmpint (sum_array (MPAIO_EXECUTOR (pool), memory, 1000), ==, test_sum_1_to_n (N_VALUES));
  remove_temp_path (path);
}

static void
test_npy_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = make_temp_path ("values.npy");
  g_autoptr(GBytes) values = int64_values (N_VALUES);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(MpaioSharedMemory) memory = NULL;
  g_autoptr(MpaioThreadPool) threads = mpaio_thread_pool_new (2);
  const guint64 *shape;
  guint n_dims;

  write_npy (path, 1, "{'descr': '<i8', 'fortran_order': False, 'shape': (1000, 10), }", values);
  memory = mpaio_shared_memory_new_for_file (file, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mpaio_shared_memory_get_dtype (memory), ==, "<i8");
  shape = mpaio_shared_memory_get_shape (memory, &n_dims);
  g_assert_cmpuint (n_dims, ==, 2);
  g_assert_cmpuint (shape[0], ==, 1000);
  g_assert_cmpuint (shape[1], ==, 10);
  g_assert_cmpuint (mpaio_shared_memory_get_array_offset (memory), ==, 128);
  g_assert_cmpuint (mpaio_shared_memory_get_n_elements (memory), ==, N_VALUES);

  g_assert_cmpint (sum_array (MPAIO_EXECUTOR (pool), memory, 700), ==, test_sum_1_to_n (N_VALUES));
  g_assert_cmpint (sum_array (MPAIO_EXECUTOR (threads), memory, 700), ==, test_sum_1_to_n (N_VALUES));
  remove_temp_path (path);
}

static MpaioSharedMemory *
open_npy (guint8       major,
          const char  *dict,
          gsize        n_data_bytes,
          GError     **error)
{
  g_autofree char *path = make_temp_path ("header.npy");
  g_autoptr(GBytes) data = g_bytes_new_take (g_malloc0 (n_data_bytes), n_data_bytes);
  MpaioSharedMemory *memory;

  write_npy (path, major, dict, data);
  memory = mpaio_shared_memory_new_for_path (path, NULL, 0, error);
  remove_temp_path (path);

  return memory;
}

/* Headers that numpy writes, or could have: versions, quotes, Python 2
 * longs, scalars, empty arrays, byte orders. */
static void
test_npy_good_headers (void)
{
  const struct {
    guint8      major;
    const char *dict;
    gsize       n_bytes;
    guint64     n_elements;
  } cases[] = {
    { 2, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 24, 3 },
    { 3, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3, 4), }", 24, 24 },
    { 1, "{\"descr\": \">i4\", \"fortran_order\": False, \"shape\": (5L,)}", 20, 5 },
    { 1, "{'shape': (), 'fortran_order': False, 'descr': '<i8'}", 8, 1 },
    { 1, "{'descr': '<i8', 'fortran_order': False, 'shape': (0, 4), }", 0, 0 },
    { 1, "{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }", 24, 2 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MpaioSharedMemory) memory = NULL;

      g_test_message ("header %s", cases[i].dict);
      /* One more byte, so that even an empty array has a file to map. */
      memory = open_npy (cases[i].major, cases[i].dict, cases[i].n_bytes + 1, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (mpaio_shared_memory_get_n_elements (memory), ==, cases[i].n_elements);
      g_assert_cmpuint (mpaio_shared_memory_get_array_offset (memory) % 64, ==, 0);
    }
}

/* Hand-made bad headers: each is refused with a sentence that says why. */
static void
test_npy_bad_headers (void)
{
  const struct {
    const char *dict;
    gsize       n_bytes;
    const char *message;
  } cases[] = {
    { "{'descr': '<i8', 'fortran_order': True, 'shape': (3,), }", 24, "Fortran" },
    { "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (3,), }", 12, "structured" },
    { "{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", 24, "not a numpy type" },
    { "{'descr': '<i8', 'fortran_order': False, 'shape': (-1,), }", 8, "non-negative" },
    { "{'descr': '<i8', 'fortran_order': False, 'shape': (18446744073709551616,), }", 8, "too large" },
    { "{'descr': '<i8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", 8, "more elements" },
    { "{'descr': '<i8', 'fortran_order': False, 'shape': (1000,), }", 80, "too short" },
    { "{'descr': '<i8', 'fortran_order': False}", 8, "lacks" },
    { "{'descr': '<i8', 'descr': '<i8', 'fortran_order': False, 'shape': (1,)}", 8, "repeated" },
    { "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), 'extra': 1}", 8, "unexpected" },
    { "{'descr': '<i8', 'fortran_order': maybe, 'shape': (1,)}", 8, "neither True nor False" },
    { "{'descr': '<i8', 'fortran_order': False, 'shape': [1]}", 8, "where “(” belongs" },
    { "{'descr': '<i8', 'fortran_order': False, 'shape': (1,)} junk", 8, "goes on" },
    { "{'descr': '<i8', 'fortran_order': False, 'shape': (1,)", 8, "belongs" },
    { "{'descr': '<i\\x38', 'fortran_order': False, 'shape': (1,)}", 8, "does not read" },
    { "{'descr': '<i8, 'fortran_order': False, 'shape': (1,)}", 8, "belongs" },
    { "{'descr': '<i8', 'fortran_order': False, 'shape': (1,\x01)}", 8, "non-negative" },
    { "{'descr': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'fortran_order': False, 'shape': (1,)}", 8, "does not read" },
    { "", 8, "belongs" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MpaioSharedMemory) memory = NULL;

      g_test_message ("header %s", cases[i].dict);
      memory = open_npy (1, cases[i].dict, cases[i].n_bytes, &error);
      g_assert_null (memory);
      g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT);
      g_test_message ("→ %s", error->message);
      g_assert_nonnull (strstr (error->message, cases[i].message));
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
    }
}

/* Files that are not .npy files at all, or whose preamble lies. */
static void
test_npy_bad_preambles (void)
{
  const struct {
    const char *bytes;
    gsize       length;
    const char *message;
  } cases[] = {
    { "just some text, not numpy", 25, "magic" },
    { "\x93NUMPY\x01", 7, "magic" },
    { "\x93NUMPY\x04\x00\x10\x00{}              ", 26, "version 4.0" },
    { "\x93NUMPY\x01\x00\xff\xff{}", 12, "runs past the end" },
    { "\x93NUMPY\x02\x00\x00\x00\x00\x01{}", 14, "runs past the end" },
    { "\x93NUMPY\x03\x00\xff\xff\xff\xff{}", 14, "runs past the end" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *path = make_temp_path ("bad.npy");
      g_autoptr(MpaioSharedMemory) memory = NULL;

      g_file_set_contents (path, cases[i].bytes, cases[i].length, &error);
      g_assert_no_error (error);
      memory = mpaio_shared_memory_new_for_path (path, NULL, 0, &error);
      g_assert_null (memory);
      g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT);
      g_assert_nonnull (strstr (error->message, cases[i].message));
      remove_temp_path (path);
    }
}

static void
test_file_bad_arguments (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = make_temp_path ("eight.raw");
  g_autoptr(GFile) remote = g_file_new_for_uri ("https://example.org/a.npy");
  g_autofree char *dir = g_path_get_dirname (path);

  g_file_set_contents (path, "01234567", 8, &error);
  g_assert_no_error (error);

  g_assert_null (mpaio_shared_memory_new_for_path (path, "<i8", 9, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT);
  g_clear_error (&error);

  g_assert_null (mpaio_shared_memory_new_for_path (path, "<q8", 0, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT);
  g_clear_error (&error);

  g_assert_null (mpaio_shared_memory_new_for_path (path, NULL, 8, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT);
  g_assert_nonnull (strstr (error->message, "needs a dtype"));
  g_clear_error (&error);

  g_assert_null (mpaio_shared_memory_new_for_path (dir, "<i8", 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  g_clear_error (&error);

  remove_temp_path (path);
  g_assert_null (mpaio_shared_memory_new_for_path (path, "<i8", 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_null (mpaio_shared_memory_new_for_file (remote, NULL, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
}

static void
test_iterator_needs_array (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (10);

  g_assert_null (mpaio_data_iterator_new_for_array (memory, 5, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT);
  g_assert_nonnull (strstr (error->message, "new_for_dtype"));
}

/* Inputs that change under a run */

static void
assert_shrank (MpaioSharedMemory *memory,
               const char        *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioDataIterator) iterator = mpaio_data_iterator_new_for_dtype (memory, "<i8", N_VALUES, 1000, &error);
  g_autoptr(GObject) worker = g_object_new (TEST_TYPE_SHRINK_WORKER, "path", path, NULL);

  g_assert_no_error (error);
  g_assert_false (run (MPAIO_EXECUTOR (pool), MPAIO_WORKER (worker), iterator, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INPUT_CHANGED);
  g_assert_nonnull (strstr (error->message, "The input shrank from 80000 to 0 bytes"));
  g_clear_error (&error);

  /* The next run is refused before it starts; the pool still works. */
  g_assert_false (run (MPAIO_EXECUTOR (pool), MPAIO_WORKER (worker), iterator, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INPUT_CHANGED);
  g_assert_nonnull (strstr (error->message, "since it was attached"));
  g_clear_error (&error);

  {
    g_autoptr(MpaioSharedMemory) fresh = test_make_int64_memory (100);
    g_autoptr(MpaioDataIterator) all = mpaio_data_iterator_new_for_dtype (fresh, "<i8", 100, 10, NULL);
    g_autoptr(TestSumWorker) sum = g_object_new (TEST_TYPE_SUM_WORKER, NULL);

    g_assert_true (run (MPAIO_EXECUTOR (pool), MPAIO_WORKER (sum), all, &error));
    g_assert_no_error (error);
    g_assert_cmpint (sum->total, ==, test_sum_1_to_n (100));
  }
}

static void
test_file_shrinks (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = make_temp_path ("shrinks.raw");
  g_autoptr(GBytes) values = int64_values (N_VALUES);
  MpaioSharedMemory *memory;

  g_file_set_contents (path, g_bytes_get_data (values, NULL), g_bytes_get_size (values), &error);
  g_assert_no_error (error);
  memory = mpaio_shared_memory_new_for_path (path, "<i8", 0, &error);
  g_assert_no_error (error);

  assert_shrank (memory, path);
  g_object_unref (memory);
  remove_temp_path (path);
}

static void
test_named_memory_shrinks (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) values = int64_values (N_VALUES);
  g_autofree char *name = g_strdup_printf ("/mpaio-test-input-%d", (int) getpid ());
  g_autofree char *path = g_strconcat ("shm:", name, NULL);
  MpaioSharedMemory *memory;
  int fd = shm_open (name, O_CREAT | O_EXCL | O_RDWR, 0600);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, g_bytes_get_data (values, NULL), g_bytes_get_size (values)), ==,
                   g_bytes_get_size (values));
  close (fd);
  memory = mpaio_shared_memory_new_from_name (name, &error);
  g_assert_no_error (error);

  assert_shrank (memory, path);
  g_object_unref (memory);
  shm_unlink (name);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  test_workers_register ();
  g_type_ensure (TEST_TYPE_SEAL_PROBE_WORKER);
  g_type_ensure (TEST_TYPE_SHRINK_WORKER);
  mpaio_serve_if_worker ();

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mpaio/input/worker-sees-sealed-memfd", test_worker_sees_sealed_memfd);
  g_test_add_func ("/mpaio/input/thread-pool-refuses-writes", test_thread_pool_refuses_writes);
  g_test_add_func ("/mpaio/input/raw-file", test_raw_file);
  g_test_add_func ("/mpaio/input/npy-file", test_npy_file);
  g_test_add_func ("/mpaio/input/npy-good-headers", test_npy_good_headers);
  g_test_add_func ("/mpaio/input/npy-bad-headers", test_npy_bad_headers);
  g_test_add_func ("/mpaio/input/npy-bad-preambles", test_npy_bad_preambles);
  g_test_add_func ("/mpaio/input/file-bad-arguments", test_file_bad_arguments);
  g_test_add_func ("/mpaio/input/iterator-needs-array", test_iterator_needs_array);
  g_test_add_func ("/mpaio/input/file-shrinks", test_file_shrinks);
  g_test_add_func ("/mpaio/input/named-memory-shrinks", test_named_memory_shrinks);

  pool = mpaio_process_pool_new (2);
  status = g_test_run ();
  g_clear_object (&pool);

  return status;
}
