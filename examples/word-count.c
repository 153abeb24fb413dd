/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Counting words in variable-length UTF-8 records: a custom data iterator.
 *
 * The records (sentences, and now and then a long paragraph) are packed into
 * one sealed memory:
 *
 *   [0, 8 (n + 1))      offsets: n + 1 native-endian uint64; record i is the
 *                       bytes [offsets[i], offsets[i + 1]) of the memory
 *   [8 (n + 1), size)   the text: the records back to back, no separators
 *
 * The iterator's elements are the n first offsets (element size 8, at byte
 * 0), so an element is a record, and a chunk [start, end) is a run of whole
 * records. A fixed number of records per chunk would give chunks of very
 * different sizes, so ExampleRecordIterator cuts at the record boundaries
 * nearest to equal shares of the text instead. A worker reads its offsets,
 * then one offset past its range (offsets[end], where its last record ends)
 * and the text, through the whole memory (mpaio_chunk_get_memory()).
 *
 * One memory rather than two (offsets and text) keeps a single mapping per
 * worker, and the offsets point straight into it.
 *
 * Words are runs of bytes other than ASCII white space, counted per record:
 * records are not separated, so the last word of one would otherwise run
 * into the first of the next. UTF-8 never uses ASCII bytes inside a
 * multi-byte character, so this is exact for any UTF-8 text.
 *
 * The corpus is made from a fixed seed with xorshift64*, as
 * examples/word-count.py does, so both count the same words.
 */
#include <mpaio.h>

#include <string.h>

#define DEFAULT_N_RECORDS 300000
#define DEFAULT_TARGET_BYTES (256 * 1024)
#define SEED G_GUINT64_CONSTANT (0x9E3779B97F4A7C15)

/* ExampleRecordIterator: cuts the records into chunks of about
 * target-bytes bytes of text, only at record boundaries. */

#define EXAMPLE_TYPE_RECORD_ITERATOR (example_record_iterator_get_type ())
G_DECLARE_FINAL_TYPE (ExampleRecordIterator, example_record_iterator,
                      EXAMPLE, RECORD_ITERATOR, MpaioDataIterator)

struct _ExampleRecordIterator
{
  MpaioDataIterator parent_instance;

  guint64           target_bytes;
  GArray           *boundaries;     /* guint64 record indices: 0, …, n */
};

G_DEFINE_FINAL_TYPE (ExampleRecordIterator, example_record_iterator, MPAIO_TYPE_DATA_ITERATOR)

enum {
  PROP_0,
  PROP_TARGET_BYTES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The first record index in [low, high] whose offset is at least @position. */
static guint64
first_record_at (const guint64 *offsets,
                 guint64        low,
                 guint64        high,
                 guint64        position)
{
  while (low < high)
    {
      guint64 middle = low + (high - low) / 2;

      if (offsets[middle] < position)
        low = middle + 1;
      else
        high = middle;
    }

  return low;
}

/* The k-th cut goes to the record boundary nearest to k shares of the text:
 * aiming at absolute positions, rather than at the target from the last
 * cut, keeps rounding errors from adding up. */
static void
example_record_iterator_cut (ExampleRecordIterator *self)
{
  MpaioDataIterator *iterator = MPAIO_DATA_ITERATOR (self);
  MpaioSharedMemory *memory = mpaio_data_iterator_get_memory (iterator);
  guint64 n = mpaio_data_iterator_get_n_elements (iterator);
  const guint64 *offsets;
  guint64 text_bytes, n_chunks;
  guint64 previous = 0;

  g_array_append_val (self->boundaries, previous);

  /* No chunk at all for a memory too small for the table. */
  if (memory == NULL || n == 0 || n >= mpaio_shared_memory_get_size (memory) / sizeof (guint64))
    return;

  offsets = mpaio_shared_memory_get_data (memory);
  text_bytes = offsets[n] - offsets[0];
  n_chunks = MAX ((text_bytes + self->target_bytes / 2) / self->target_bytes, 1);

  for (guint64 k = 1; k < n_chunks; k++)
    {
      guint64 position = offsets[0] + text_bytes * k / n_chunks;
      guint64 cut = first_record_at (offsets, previous, n, position);

      if (cut > previous + 1 && position - offsets[cut - 1] < offsets[cut] - position)
        cut--;
      if (cut > previous && cut < n)
        {
          g_array_append_val (self->boundaries, cut);
          previous = cut;
        }
    }

  if (n > previous)
    g_array_append_val (self->boundaries, n);
}

static guint64
example_record_iterator_get_n_chunks (MpaioDataIterator *iterator)
{
  return EXAMPLE_RECORD_ITERATOR (iterator)->boundaries->len - 1;
}

static void
example_record_iterator_get_chunk_range (MpaioDataIterator *iterator,
                                         guint64            chunk_index,
                                         guint64           *start,
                                         guint64           *end)
{
  GArray *boundaries = EXAMPLE_RECORD_ITERATOR (iterator)->boundaries;

  *start = g_array_index (boundaries, guint64, chunk_index);
  *end = g_array_index (boundaries, guint64, chunk_index + 1);
}

static void
example_record_iterator_constructed (GObject *object)
{
  G_OBJECT_CLASS (example_record_iterator_parent_class)->constructed (object);

  example_record_iterator_cut (EXAMPLE_RECORD_ITERATOR (object));
}

static void
example_record_iterator_finalize (GObject *object)
{
  g_array_unref (EXAMPLE_RECORD_ITERATOR (object)->boundaries);

  G_OBJECT_CLASS (example_record_iterator_parent_class)->finalize (object);
}

static void
example_record_iterator_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_TARGET_BYTES:
      g_value_set_uint64 (value, EXAMPLE_RECORD_ITERATOR (object)->target_bytes);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
example_record_iterator_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_TARGET_BYTES:
      EXAMPLE_RECORD_ITERATOR (object)->target_bytes = g_value_get_uint64 (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
example_record_iterator_class_init (ExampleRecordIteratorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  MpaioDataIteratorClass *iterator_class = MPAIO_DATA_ITERATOR_CLASS (klass);

  object_class->constructed = example_record_iterator_constructed;
  object_class->finalize = example_record_iterator_finalize;
  object_class->get_property = example_record_iterator_get_property;
  object_class->set_property = example_record_iterator_set_property;

  iterator_class->get_n_chunks = example_record_iterator_get_n_chunks;
  iterator_class->get_chunk_range = example_record_iterator_get_chunk_range;

  properties[PROP_TARGET_BYTES] =
    g_param_spec_uint64 ("target-bytes", NULL, NULL,
                         1, G_MAXUINT64, DEFAULT_TARGET_BYTES,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
example_record_iterator_init (ExampleRecordIterator *self)
{
  self->target_bytes = DEFAULT_TARGET_BYTES;
  self->boundaries = g_array_new (FALSE, FALSE, sizeof (guint64));
}

/* @memory holds @n_records records in the layout above. */
static MpaioDataIterator *
example_record_iterator_new (MpaioSharedMemory *memory,
                             guint64            n_records,
                             guint64            target_bytes)
{
  return g_object_new (EXAMPLE_TYPE_RECORD_ITERATOR,
                       "memory", memory,
                       "element-size", (guint64) sizeof (guint64),
                       "n-elements", n_records,
                       "target-bytes", target_bytes,
                       NULL);
}

/* Counting. */

static guint64
count_words (const guint8 *text,
             gsize         length)
{
  guint64 n_words = 0;
  gboolean in_word = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      gboolean space = g_ascii_isspace (text[i]);

      n_words += !space && !in_word;
      in_word = !space;
    }

  return n_words;
}

/* Counts the words of records [start, end); the offsets come from the
 * memory, so they are checked before the text is read. */
static gboolean
count_records (const guint8  *memory,
               gsize          size,
               guint64        start,
               guint64        end,
               guint64       *n_words,
               GError       **error)
{
  const guint64 *offsets = (const guint64 *) memory;

  *n_words = 0;
  if (end >= size / sizeof (guint64))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "The offsets table is larger than the memory");
      return FALSE;
    }

  for (guint64 i = start; i < end; i++)
    {
      if (offsets[i] > offsets[i + 1] || offsets[i + 1] > size)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "Record %" G_GUINT64_FORMAT " is out of the memory", i);
          return FALSE;
        }
      *n_words += count_words (memory + offsets[i], offsets[i + 1] - offsets[i]);
    }

  return TRUE;
}

/* ExampleWordCount: counts the words of its chunk of records. */

#define EXAMPLE_TYPE_WORD_COUNT (example_word_count_get_type ())
G_DECLARE_FINAL_TYPE (ExampleWordCount, example_word_count, EXAMPLE, WORD_COUNT, GObject)

struct _ExampleWordCount
{
  GObject parent_instance;
  guint64 total;            /* only in the caller's process */
};

static void example_word_count_worker_init (MpaioWorkerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ExampleWordCount, example_word_count, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_WORKER, example_word_count_worker_init))

static GVariant *
example_word_count_process (MpaioWorker  *worker,
                            MpaioChunk   *chunk,
                            GError      **error)
{
  MpaioSharedMemory *memory = mpaio_chunk_get_memory (chunk);
  const guint8 *base = mpaio_shared_memory_get_data (memory);
  guint64 n_words;

  /* The offsets table is at the start of the memory (the iterator's
   * offset is 0), and it has one entry more than there are records. */
  if (!count_records (base + mpaio_chunk_get_offset (chunk),
                      mpaio_shared_memory_get_size (memory),
                      mpaio_chunk_get_start (chunk), mpaio_chunk_get_end (chunk),
                      &n_words, error))
    return NULL;

  return g_variant_new_uint64 (n_words);
}

static void
example_word_count_process_callback (MpaioWorker *worker,
                                     guint64      chunk_index,
                                     GVariant    *result)
{
  EXAMPLE_WORD_COUNT (worker)->total += g_variant_get_uint64 (result);
}

static GVariantType *
example_word_count_dup_result_type (MpaioWorker *worker)
{
  return g_variant_type_copy (G_VARIANT_TYPE_UINT64);
}

static void
example_word_count_worker_init (MpaioWorkerInterface *iface)
{
  iface->process = example_word_count_process;
  iface->process_callback = example_word_count_process_callback;
  iface->dup_result_type = example_word_count_dup_result_type;
}

static void
example_word_count_class_init (ExampleWordCountClass *klass)
{
}

static void
example_word_count_init (ExampleWordCount *self)
{
}

/* The corpus. */

static const char * const vocabulary[] = {
  "the", "a", "of", "and", "to", "in", "chunk", "worker", "memory", "array",
  "process", "pool", "shared", "record", "offset", "main", "loop", "GNOME",
  "café", "naïve", "façade", "Grüße", "Straße", "mémoire", "données",
  "παράλληλα", "μνήμη", "быстро", "память", "並列", "処理", "メモリ",
  "🙂", "🚀", "x", "I",
};

/* xorshift64*: small, and the same in examples/word-count.py. */
static guint64
next_random (guint64 *state)
{
  guint64 x = *state;

  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * G_GUINT64_CONSTANT (0x2545F4914F6CDD1D);
}

/* Sentences of 1 to 24 words; one record in 500 is a paragraph of up to
 * 2,000 words, so records per chunk is a poor measure of work. */
static guint
random_n_words (guint64 *state)
{
  if (next_random (state) % 500 == 0)
    return 100 + next_random (state) % 1901;

  return 1 + next_random (state) % 24;
}

static void
append_record (GString *text,
               guint64 *state)
{
  guint n_words = random_n_words (state);

  for (guint i = 0; i < n_words; i++)
    {
      if (i > 0)
        g_string_append_c (text, ' ');
      g_string_append (text, vocabulary[next_random (state) % G_N_ELEMENTS (vocabulary)]);
    }
  g_string_append_c (text, '.');
}

static MpaioSharedMemory *
make_records (guint64   n_records,
              GError  **error)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GArray) offsets = g_array_sized_new (FALSE, FALSE, sizeof (guint64), n_records + 1);
  g_autoptr(MpaioSharedMemory) memory = NULL;
  guint64 header = (n_records + 1) * sizeof (guint64);
  guint64 state = SEED;
  guint64 end;
  guint8 *data;

  for (guint64 i = 0; i < n_records; i++)
    {
      guint64 offset = header + text->len;

      g_array_append_val (offsets, offset);
      append_record (text, &state);
    }
  end = header + text->len;
  g_array_append_val (offsets, end);

  if (!(memory = mpaio_shared_memory_new (header + text->len, error)))
    return NULL;

  data = mpaio_shared_memory_get_writable_data (memory);
  memcpy (data, offsets->data, header);
  memcpy (data + header, text->str, text->len);

  return mpaio_shared_memory_seal (memory, error) ? g_steal_pointer (&memory) : NULL;
}

/* The caller's side. */

typedef struct
{
  GMainLoop *loop;
  GError    *error;
} Wait;

static void
on_run_done (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Wait *wait = user_data;

  mpaio_orchestrator_run_finish (MPAIO_ORCHESTRATOR (object), result, &wait->error);
  g_main_loop_quit (wait->loop);
}

/* Prints how the records were cut, and checks that no chunk is further
 * from an equal share of the text than the longest record. */
static gboolean
check_chunk_sizes (MpaioDataIterator *iterator,
                   MpaioSharedMemory *memory)
{
  const guint64 *offsets = mpaio_shared_memory_get_data (memory);
  guint64 n_records = mpaio_data_iterator_get_n_elements (iterator);
  guint64 n_chunks = mpaio_data_iterator_get_n_chunks (iterator);
  guint64 share = (offsets[n_records] - offsets[0]) / n_chunks;
  guint64 smallest = G_MAXUINT64, largest = 0;
  guint64 fewest = G_MAXUINT64, most = 0;
  guint64 longest = 0;

  for (guint64 i = 0; i < n_records; i++)
    longest = MAX (longest, offsets[i + 1] - offsets[i]);

  for (guint64 i = 0; i < n_chunks; i++)
    {
      guint64 start, end, bytes;

      mpaio_data_iterator_get_chunk_range (iterator, i, &start, &end);
      bytes = offsets[end] - offsets[start];
      smallest = MIN (smallest, bytes);
      largest = MAX (largest, bytes);
      fewest = MIN (fewest, end - start);
      most = MAX (most, end - start);
    }

  g_print ("%" G_GUINT64_FORMAT " chunks of %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT
           " bytes (%" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT " records)\n",
           n_chunks, smallest, largest, fewest, most);

  return largest <= share + longest && smallest + longest >= share;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(MpaioSharedMemory) memory = NULL;
  g_autoptr(MpaioProcessPool) pool = NULL;
  g_autoptr(MpaioDataIterator) iterator = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  g_autoptr(ExampleWordCount) word_count = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  gint64 n_records = DEFAULT_N_RECORDS;
  gint64 target_bytes = DEFAULT_TARGET_BYTES;
  int n_workers = 0;
  Wait wait = { NULL, NULL };
  guint64 serial = 0;
  gint64 begin;
  const GOptionEntry entries[] = {
    { "records", 'n', 0, G_OPTION_ARG_INT64, &n_records, "Number of records (default: 300,000)", "N" },
    { "target-bytes", 't', 0, G_OPTION_ARG_INT64, &target_bytes, "Bytes of text per chunk to aim at (default: 262,144)", "BYTES" },
    { "workers", 'w', 0, G_OPTION_ARG_INT, &n_workers, "Number of worker processes (default: one per processor)", "N" },
    { NULL }
  };

  g_type_ensure (EXAMPLE_TYPE_WORD_COUNT);
  mpaio_serve_if_worker ();

  context = g_option_context_new ("- count the words of variable-length records in parallel");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  if (n_records < 1 || target_bytes < 1)
    {
      g_printerr ("--records and --target-bytes must be at least 1\n");
      return 1;
    }

  if (!(memory = make_records (n_records, &error)))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  iterator = example_record_iterator_new (memory, n_records, target_bytes);
  if (!mpaio_data_iterator_validate (iterator, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  g_print ("%" G_GINT64_FORMAT " records, %zu bytes\n", n_records, mpaio_shared_memory_get_size (memory));
  if (!check_chunk_sizes (iterator, memory))
    {
      g_printerr ("The chunks are not balanced\n");
      return 1;
    }

  begin = g_get_monotonic_time ();

  pool = mpaio_process_pool_new (MAX (n_workers, 0));
  word_count = g_object_new (EXAMPLE_TYPE_WORD_COUNT, NULL);
  orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (pool));
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (word_count), iterator);

  loop = g_main_loop_new (NULL, FALSE);
  wait.loop = loop;
  mpaio_orchestrator_run_async (orchestrator, NULL, on_run_done, &wait);
  g_main_loop_run (loop);

  if (wait.error != NULL)
    {
      g_printerr ("The run failed: %s\n", wait.error->message);
      g_error_free (wait.error);
      return 1;
    }

  g_print ("%" G_GUINT64_FORMAT " words\n", word_count->total);
  g_print ("elapsed: %.3f s with %u workers\n",
           (g_get_monotonic_time () - begin) / 1e6,
           mpaio_executor_get_max_workers (MPAIO_EXECUTOR (pool)));

  /* The same count in this process, record by record. */
  if (!count_records (mpaio_shared_memory_get_data (memory), mpaio_shared_memory_get_size (memory),
                      0, n_records, &serial, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  if (serial != word_count->total)
    {
      g_printerr ("Mismatch: counted %" G_GUINT64_FORMAT " words serially\n", serial);
      return 1;
    }
  g_print ("serial count agrees\n");

  return 0;
}
