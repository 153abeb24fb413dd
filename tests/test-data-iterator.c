/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <mpaio.h>

#include "test-workers.h"

static MpaioSharedMemory *
make_memory (gsize size)
{
  g_autoptr(GError) error = NULL;
  MpaioSharedMemory *memory = mpaio_shared_memory_new (size, &error);

  g_assert_no_error (error);
  return memory;
}

static void
assert_chunk (MpaioDataIterator *iterator,
              guint64            index,
              guint64            expected_start,
              guint64            expected_end)
{
  guint64 start, end;

  mpaio_data_iterator_get_chunk_range (iterator, index, &start, &end);
  g_assert_cmpuint (start, ==, expected_start);
  g_assert_cmpuint (end, ==, expected_end);
}

static void
test_even_partition (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = make_memory (100 * 8);
  g_autoptr(MpaioDataIterator) iterator = mpaio_data_iterator_new (memory, 8, 100, 25, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (mpaio_data_iterator_get_n_chunks (iterator), ==, 4);
  assert_chunk (iterator, 0, 0, 25);
  assert_chunk (iterator, 3, 75, 100);
}

static void
test_uneven_last_chunk (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = make_memory (100 * 8);
  g_autoptr(MpaioDataIterator) iterator = mpaio_data_iterator_new (memory, 8, 100, 30, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (mpaio_data_iterator_get_n_chunks (iterator), ==, 4);
  assert_chunk (iterator, 2, 60, 90);
  assert_chunk (iterator, 3, 90, 100);
}

static void
test_extreme_chunk_sizes (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = make_memory (10 * 8);
  g_autoptr(MpaioDataIterator) ones = mpaio_data_iterator_new (memory, 8, 10, 1, &error);
  g_autoptr(MpaioDataIterator) whole = mpaio_data_iterator_new (memory, 8, 10, 10, &error);
  g_autoptr(MpaioDataIterator) larger = mpaio_data_iterator_new (memory, 8, 10, 1000, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (mpaio_data_iterator_get_n_chunks (ones), ==, 10);
  assert_chunk (ones, 9, 9, 10);
  g_assert_cmpuint (mpaio_data_iterator_get_n_chunks (whole), ==, 1);
  assert_chunk (whole, 0, 0, 10);
  g_assert_cmpuint (mpaio_data_iterator_get_n_chunks (larger), ==, 1);
  assert_chunk (larger, 0, 0, 10);
}

static void
test_start_index (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = make_memory (100 * 8);
  g_autoptr(MpaioDataIterator) iterator = NULL;
  g_autoptr(MpaioDataIterator) empty = NULL;

  iterator = g_object_new (MPAIO_TYPE_DATA_ITERATOR,
                           "memory", memory,
                           "element-size", (guint64) 8,
                           "n-elements", (guint64) 100,
                           "chunk-size", (guint64) 40,
                           "start-index", (guint64) 10,
                           NULL);
  g_assert_true (mpaio_data_iterator_validate (iterator, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mpaio_data_iterator_get_n_chunks (iterator), ==, 3);
  assert_chunk (iterator, 0, 10, 50);
  assert_chunk (iterator, 2, 90, 100);

  empty = g_object_new (MPAIO_TYPE_DATA_ITERATOR,
                        "memory", memory, "element-size", (guint64) 8,
                        "n-elements", (guint64) 100, "chunk-size", (guint64) 40,
                        "start-index", (guint64) 100, NULL);
  g_assert_true (mpaio_data_iterator_validate (empty, &error));
  g_assert_cmpuint (mpaio_data_iterator_get_n_chunks (empty), ==, 0);
}

static void
test_offset_and_default_length (void)
{
  g_autoptr(MpaioSharedMemory) memory = make_memory (100);
  g_autoptr(MpaioDataIterator) iterator = NULL;

  iterator = g_object_new (MPAIO_TYPE_DATA_ITERATOR,
                           "memory", memory,
                           "offset", (guint64) 20,
                           "dtype", "<i8",
                           "chunk-size", (guint64) 4,
                           NULL);
  g_assert_true (mpaio_data_iterator_validate (iterator, NULL));
  g_assert_cmpuint (mpaio_data_iterator_get_element_size (iterator), ==, 8);
  g_assert_cmpuint (mpaio_data_iterator_get_n_elements (iterator), ==, 10);
  g_assert_cmpuint (mpaio_data_iterator_get_offset (iterator), ==, 20);
  g_assert_cmpuint (mpaio_data_iterator_get_n_chunks (iterator), ==, 3);
}

static void
test_dtype (void)
{
  struct { const char *dtype; gsize size; } cases[] = {
    { "<i8", 8 }, { "|u1", 1 }, { ">f4", 4 }, { "<U6", 24 }, { "S16", 16 },
    { "<c16", 16 }, { "=i2", 2 },
  };
  const char *bad[] = { "", "<", "i", "<x8", "<i0", "<i8x", "int64", "<i-8" };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpuint (mpaio_dtype_get_element_size (cases[i].dtype, NULL), ==, cases[i].size);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_cmpuint (mpaio_dtype_get_element_size (bad[i], &error), ==, 0);
      g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT);
    }
}

static void
assert_invalid (MpaioDataIterator *iterator)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (mpaio_data_iterator_validate (iterator, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT);
  g_test_message ("%s", error->message);
  g_object_unref (iterator);
}

/* Sizes numpy has not for its kinds of fixed size are refused, with the
 * sizes it has (numpy.dtype("<i3") is a TypeError); the forms numpy.dtype.str
 * gives for datetimes are accepted. */
static void
test_dtype_sizes_numpy_has (void)
{
  struct { const char *dtype; const char *hint; } refused[] = {
    { "<i3", "“i” in sizes 1, 2, 4, 8 only, such as “<i8”" },
    { "<i9", "“i” in sizes 1, 2, 4, 8 only" },
    { "<u16", "“u” in sizes 1, 2, 4, 8 only" },
    { "<f3", "“f” in sizes 2, 4, 8, 16 only, such as “<f8”" },
    { "<f1", "“f” in sizes 2, 4, 8, 16 only" },
    { "<c1", "“c” in sizes 8, 16, 32 only, such as “<c16”" },
    { "<b8", "“b” in sizes 1 only, such as “|b1”" },
    { "<m4", "“m” in sizes 8 only" },
    { "<M8[xx]", "such as “<i8”, “<f8”, “<c16”, “|b1”, “<M8[ns]”, “<U6” or “S16”" },
    { "<M8[ns", "use the form of numpy.dtype.str" },
    { "<M8[10]", "use the form of numpy.dtype.str" },
    { "<M8[1234567890ns]", "use the form of numpy.dtype.str" },
    { "<i8[ns]", "use the form of numpy.dtype.str" },
  };
  struct { const char *dtype; gsize size; } accepted[] = {
    { "|b1", 1 }, { "<i1", 1 }, { ">u2", 2 }, { "<f2", 2 }, { "<f16", 16 },
    { "<c8", 8 }, { ">c32", 32 }, { "<M8", 8 }, { "<M8[ns]", 8 }, { "<m8[10us]", 8 },
    { "<M8[μs]", 8 }, { "<M8[D]", 8 }, { "|V8", 8 }, { "<U1", 4 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_cmpuint (mpaio_dtype_get_element_size (refused[i].dtype, &error), ==, 0);
      g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, refused[i].hint));
      g_assert_nonnull (strstr (error->message, refused[i].dtype));
    }

  for (guint i = 0; i < G_N_ELEMENTS (accepted); i++)
    g_assert_cmpuint (mpaio_dtype_get_element_size (accepted[i].dtype, NULL), ==, accepted[i].size);
}

static void
test_invalid_layouts (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = make_memory (80);
  MpaioDataIterator *iterator;

  iterator = mpaio_data_iterator_new (memory, 0, 10, 1, &error);
  g_assert_null (iterator);
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT);
  g_clear_error (&error);

  iterator = mpaio_data_iterator_new (memory, 8, 10, 0, &error);
  g_assert_null (iterator);
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT);
  g_clear_error (&error);

  iterator = mpaio_data_iterator_new (memory, 8, 11, 1, &error);
  g_assert_null (iterator);
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT);
  g_clear_error (&error);

  iterator = mpaio_data_iterator_new_for_dtype (memory, "<q8", 10, 1, &error);
  g_assert_null (iterator);
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT);
  g_clear_error (&error);

  assert_invalid (g_object_new (MPAIO_TYPE_DATA_ITERATOR, "element-size", (guint64) 8,
                                "chunk-size", (guint64) 1, NULL));
  assert_invalid (g_object_new (MPAIO_TYPE_DATA_ITERATOR, "memory", memory, "element-size", (guint64) 8,
                                "n-elements", (guint64) 10, "chunk-size", (guint64) 1,
                                "start-index", (guint64) 11, NULL));
  assert_invalid (g_object_new (MPAIO_TYPE_DATA_ITERATOR, "memory", memory, "element-size", (guint64) 4,
                                "dtype", "<i8", "chunk-size", (guint64) 1, NULL));
  assert_invalid (g_object_new (MPAIO_TYPE_DATA_ITERATOR, "memory", memory, "element-size", (guint64) 8,
                                "offset", (guint64) 81, "n-elements", (guint64) 0,
                                "chunk-size", (guint64) 1, NULL));
  assert_invalid (g_object_new (MPAIO_TYPE_DATA_ITERATOR, "memory", memory, "element-size", (guint64) 8,
                                "offset", (guint64) 8, "n-elements", (guint64) 10,
                                "chunk-size", (guint64) 1, NULL));
  assert_invalid (g_object_new (MPAIO_TYPE_DATA_ITERATOR, "memory", memory,
                                "element-size", G_MAXUINT64 / 2, "n-elements", (guint64) 4,
                                "chunk-size", (guint64) 1, NULL));
}

/* A custom iterator: chunks of growing size, 1, 2, 3... elements. */

#define TEST_TYPE_GROWING_ITERATOR (test_growing_iterator_get_type ())
G_DECLARE_FINAL_TYPE (TestGrowingIterator, test_growing_iterator, TEST, GROWING_ITERATOR, MpaioDataIterator)

struct _TestGrowingIterator
{
  MpaioDataIterator parent_instance;
};

G_DEFINE_FINAL_TYPE (TestGrowingIterator, test_growing_iterator, MPAIO_TYPE_DATA_ITERATOR)

static guint64
test_growing_iterator_get_n_chunks (MpaioDataIterator *iterator)
{
  guint64 n = mpaio_data_iterator_get_n_elements (iterator);
  guint64 chunks = 0, covered = 0;

  while (covered < n)
    covered += ++chunks;

  return chunks;
}

static void
test_growing_iterator_get_chunk_range (MpaioDataIterator *iterator,
                                       guint64            index,
                                       guint64           *start,
                                       guint64           *end)
{
  *start = index * (index + 1) / 2;
  *end = MIN (*start + index + 1, mpaio_data_iterator_get_n_elements (iterator));
}

static void
test_growing_iterator_class_init (TestGrowingIteratorClass *klass)
{
  MpaioDataIteratorClass *iterator_class = MPAIO_DATA_ITERATOR_CLASS (klass);

  iterator_class->get_n_chunks = test_growing_iterator_get_n_chunks;
  iterator_class->get_chunk_range = test_growing_iterator_get_chunk_range;
}

static void
test_growing_iterator_init (TestGrowingIterator *self)
{
}

static void
test_custom_subclass (void)
{
  g_autoptr(MpaioSharedMemory) memory = make_memory (12 * 8);
  g_autoptr(MpaioDataIterator) iterator = NULL;

  iterator = g_object_new (TEST_TYPE_GROWING_ITERATOR,
                           "memory", memory,
                           "element-size", (guint64) 8,
                           NULL);
  g_assert_true (mpaio_data_iterator_validate (iterator, NULL));
  g_assert_cmpuint (mpaio_data_iterator_get_n_elements (iterator), ==, 12);
  g_assert_cmpuint (mpaio_data_iterator_get_n_chunks (iterator), ==, 5);
  assert_chunk (iterator, 0, 0, 1);
  assert_chunk (iterator, 2, 3, 6);
  assert_chunk (iterator, 4, 10, 12);
}

/* Ranges are computed with checked arithmetic: a chunk size near
 * G_MAXUINT64 after a start index must not wrap around, and a run over
 * such an iterator delivers the right elements. */
static void
test_huge_chunk_size (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (10);
  g_autoptr(MpaioDataIterator) iterator = NULL;
  g_autoptr(MpaioThreadPool) pool = mpaio_thread_pool_new (1);
  g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (pool));
  g_autoptr(TestSumWorker) worker = g_object_new (TEST_TYPE_SUM_WORKER, NULL);

  iterator = g_object_new (MPAIO_TYPE_DATA_ITERATOR,
                           "memory", memory,
                           "dtype", "<i8",
                           "chunk-size", G_MAXUINT64,
                           "start-index", (guint64) 5,
                           NULL);
  g_assert_true (mpaio_data_iterator_validate (iterator, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mpaio_data_iterator_get_n_chunks (iterator), ==, 1);
  assert_chunk (iterator, 0, 5, 10);

  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), iterator);
  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (worker->total, ==, 6 + 7 + 8 + 9 + 10);
}

/* Past the last chunk, the default range is the empty one at the end,
 * never a range that runs backwards. */
static void
test_chunk_index_past_the_end (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = make_memory (10 * 8);
  g_autoptr(MpaioDataIterator) iterator = mpaio_data_iterator_new (memory, 8, 10, 4, &error);
  g_autoptr(MpaioDataIterator) huge = NULL;

  g_assert_no_error (error);
  assert_chunk (iterator, 2, 8, 10);
  assert_chunk (iterator, 3, 10, 10);
  assert_chunk (iterator, G_MAXUINT64, 10, 10);

  huge = mpaio_data_iterator_new (memory, 8, 10, G_MAXUINT64 - 1, &error);
  g_assert_no_error (error);
  assert_chunk (huge, 0, 0, 10);
  assert_chunk (huge, 1, 10, 10);
}

/* A custom iterator that reports @first chunks when first asked, then
 * @later: one with a bug, or one that lies after validate(). Every chunk
 * is element 0. */

#define TEST_TYPE_COUNT_ITERATOR (test_count_iterator_get_type ())
G_DECLARE_FINAL_TYPE (TestCountIterator, test_count_iterator, TEST, COUNT_ITERATOR, MpaioDataIterator)

struct _TestCountIterator
{
  MpaioDataIterator parent_instance;
  guint64           first;
  guint64           later;
  guint             n_counts;
};

G_DEFINE_FINAL_TYPE (TestCountIterator, test_count_iterator, MPAIO_TYPE_DATA_ITERATOR)

static guint64
test_count_iterator_get_n_chunks (MpaioDataIterator *iterator)
{
  TestCountIterator *self = TEST_COUNT_ITERATOR (iterator);

  return self->n_counts++ == 0 ? self->first : self->later;
}

static void
test_count_iterator_get_chunk_range (MpaioDataIterator *iterator,
                                     guint64            index,
                                     guint64           *start,
                                     guint64           *end)
{
  *start = 0;
  *end = 1;
}

static void
test_count_iterator_class_init (TestCountIteratorClass *klass)
{
  MpaioDataIteratorClass *iterator_class = MPAIO_DATA_ITERATOR_CLASS (klass);

  iterator_class->get_n_chunks = test_count_iterator_get_n_chunks;
  iterator_class->get_chunk_range = test_count_iterator_get_chunk_range;
}

static void
test_count_iterator_init (TestCountIterator *self)
{
}

static MpaioDataIterator *
count_iterator_new (MpaioSharedMemory *memory,
                    guint64            first,
                    guint64            later)
{
  TestCountIterator *self = g_object_new (TEST_TYPE_COUNT_ITERATOR,
                                          "memory", memory,
                                          "dtype", "<i8",
                                          NULL);

  self->first = first;
  self->later = later;
  return MPAIO_DATA_ITERATOR (self);
}

static void
assert_too_many_chunks (GError *error)
{
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT);
  g_assert_nonnull (strstr (error->message, "TestCountIterator cuts its array into"));
  g_assert_nonnull (strstr (error->message, "make the chunks larger"));
  g_test_message ("%s", error->message);
}

static void
test_too_many_chunks (void)
{
  g_autoptr(MpaioSharedMemory) memory = make_memory (10 * 8);
  const guint64 counts[] = { G_MAXUINT64, (guint64) G_MAXUINT32 + 1 };

  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MpaioDataIterator) iterator = count_iterator_new (memory, counts[i], counts[i]);

      g_assert_false (mpaio_data_iterator_validate (iterator, &error));
      assert_too_many_chunks (error);
    }
}

/* A run refuses a chunk count it cannot track with an error, never an abort
 * in the allocation of its bitmap, even when the iterator told validate()
 * another count. */
static void
test_too_many_chunks_in_a_run (void)
{
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (10);
  g_autoptr(MpaioThreadPool) pool = mpaio_thread_pool_new (1);
  g_autoptr(TestSumWorker) worker = g_object_new (TEST_TYPE_SUM_WORKER, NULL);
  const guint64 firsts[] = { G_MAXUINT64, 1 };

  for (guint i = 0; i < G_N_ELEMENTS (firsts); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MpaioDataIterator) iterator = count_iterator_new (memory, firsts[i], G_MAXUINT64);
      g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (pool));

      mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), iterator);
      g_assert_false (test_run_sync (orchestrator, NULL, &error));
      assert_too_many_chunks (error);
      g_assert_cmpuint (mpaio_orchestrator_get_n_chunks_done (orchestrator), ==, 0);
    }
}

/* A run refused because of its second iterator keeps no reference to the
 * first worker and iterator. */
static void
test_refused_run_keeps_no_reference (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (10);
  g_autoptr(MpaioThreadPool) pool = mpaio_thread_pool_new (1);
  g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (pool));
  g_autoptr(TestSumWorker) worker = g_object_new (TEST_TYPE_SUM_WORKER, NULL);
  g_autoptr(MpaioDataIterator) good = mpaio_data_iterator_new_for_dtype (memory, "<i8", 10, 5, &error);
  g_autoptr(MpaioDataIterator) bad = count_iterator_new (memory, G_MAXUINT64, G_MAXUINT64);

  g_assert_no_error (error);
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), good);
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), bad);
  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  assert_too_many_chunks (error);

  g_clear_object (&orchestrator);
  g_assert_cmpuint (G_OBJECT (worker)->ref_count, ==, 1);
  g_assert_cmpuint (G_OBJECT (good)->ref_count, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mpaio/data-iterator/even-partition", test_even_partition);
  g_test_add_func ("/mpaio/data-iterator/uneven-last-chunk", test_uneven_last_chunk);
  g_test_add_func ("/mpaio/data-iterator/extreme-chunk-sizes", test_extreme_chunk_sizes);
  g_test_add_func ("/mpaio/data-iterator/start-index", test_start_index);
  g_test_add_func ("/mpaio/data-iterator/offset-and-default-length", test_offset_and_default_length);
  g_test_add_func ("/mpaio/data-iterator/dtype", test_dtype);
  g_test_add_func ("/mpaio/data-iterator/dtype-sizes-numpy-has", test_dtype_sizes_numpy_has);
  g_test_add_func ("/mpaio/data-iterator/invalid-layouts", test_invalid_layouts);
  g_test_add_func ("/mpaio/data-iterator/custom-subclass", test_custom_subclass);
  g_test_add_func ("/mpaio/data-iterator/huge-chunk-size", test_huge_chunk_size);
  g_test_add_func ("/mpaio/data-iterator/chunk-index-past-the-end", test_chunk_index_past_the_end);
  g_test_add_func ("/mpaio/data-iterator/too-many-chunks", test_too_many_chunks);
  g_test_add_func ("/mpaio/data-iterator/too-many-chunks-in-a-run", test_too_many_chunks_in_a_run);
  g_test_add_func ("/mpaio/data-iterator/refused-run-keeps-no-reference", test_refused_run_keeps_no_reference);

  return g_test_run ();
}
