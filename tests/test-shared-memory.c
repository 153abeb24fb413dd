/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mpaio.h>

static void
test_create_and_seal (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new (4096, &error);
  guint8 *data;
  const guint8 *sealed_data;

  g_assert_no_error (error);
  g_assert_cmpuint (mpaio_shared_memory_get_size (memory), ==, 4096);
  g_assert_false (mpaio_shared_memory_is_sealed (memory));
  g_assert_true (mpaio_shared_memory_is_writable (memory));
  g_assert_null (mpaio_shared_memory_get_name (memory));
  g_assert_cmpint (mpaio_shared_memory_get_fd (memory), >=, 0);

  data = mpaio_shared_memory_get_writable_data (memory);
  g_assert_nonnull (data);
  g_assert_cmpint (data[100], ==, 0);
  data[100] = 7;

  g_assert_true (mpaio_shared_memory_seal (memory, &error));
  g_assert_no_error (error);
  g_assert_true (mpaio_shared_memory_is_sealed (memory));
  g_assert_false (mpaio_shared_memory_is_writable (memory));
  g_assert_null (mpaio_shared_memory_get_writable_data (memory));

  sealed_data = mpaio_shared_memory_get_data (memory);
  g_assert_cmpint (sealed_data[100], ==, 7);

  /* Sealing twice is fine. */
  g_assert_true (mpaio_shared_memory_seal (memory, &error));
  g_assert_no_error (error);

  /* The kernel refuses writable mappings from now on. */
  g_assert_true (mmap (NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
                       mpaio_shared_memory_get_fd (memory), 0) == MAP_FAILED);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_sealed_notifies (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new (16, &error);
  guint n_notifies = 0;

  g_signal_connect (memory, "notify::sealed", G_CALLBACK (count_notify), &n_notifies);
  mpaio_shared_memory_seal (memory, &error);
  mpaio_shared_memory_seal (memory, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n_notifies, ==, 1);
}

static void
test_write (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new (8, &error);
  const guint8 bytes[] = { 1, 2, 3 };
  const guint8 *data;

  g_assert_true (mpaio_shared_memory_write (memory, 5, bytes, 3, &error));
  g_assert_no_error (error);
  data = mpaio_shared_memory_get_data (memory);
  g_assert_cmpmem (data + 5, 3, bytes, 3);

  g_assert_false (mpaio_shared_memory_write (memory, 6, bytes, 3, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_OUT_OF_RANGE);
  g_clear_error (&error);

  g_assert_false (mpaio_shared_memory_write (memory, G_MAXUINT64, bytes, 3, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_OUT_OF_RANGE);
  g_clear_error (&error);

  mpaio_shared_memory_seal (memory, &error);
  g_assert_no_error (error);
  g_assert_false (mpaio_shared_memory_write (memory, 0, bytes, 3, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_READ_ONLY);
}

static void
test_zero_size (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new (0, &error);

  g_assert_null (memory);
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_OUT_OF_RANGE);
}

static void
test_from_bytes (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_bytes_new_static ("hello, world", 12);
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new_from_bytes (bytes, &error);
  g_autoptr(GBytes) view = NULL;

  g_assert_no_error (error);
  g_assert_true (mpaio_shared_memory_is_sealed (memory));
  g_assert_cmpuint (mpaio_shared_memory_get_size (memory), ==, 12);

  view = mpaio_shared_memory_dup_bytes (memory, 7, 5, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (view, NULL), g_bytes_get_size (view), "world", 5);
}

static void
test_view_outlives_memory (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_bytes_new_static ("constant", 8);
  MpaioSharedMemory *memory = mpaio_shared_memory_new_from_bytes (bytes, &error);
  g_autoptr(GBytes) view = mpaio_shared_memory_dup_bytes (memory, 0, 8, &error);

  g_assert_no_error (error);
  g_object_unref (memory);
  g_assert_cmpmem (g_bytes_get_data (view, NULL), 8, "constant", 8);
}

static void
test_view_out_of_range (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_bytes_new_static ("0123456789", 10);
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new_from_bytes (bytes, &error);
  g_autoptr(GBytes) view = NULL;

  view = mpaio_shared_memory_dup_bytes (memory, 8, 3, &error);
  g_assert_null (view);
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_OUT_OF_RANGE);
  g_clear_error (&error);

  view = mpaio_shared_memory_dup_bytes (memory, 10, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (view), ==, 0);
}

static void
test_seal_with_live_view (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new (64, &error);
  GBytes *view = mpaio_shared_memory_dup_bytes (memory, 0, 64, &error);

  g_assert_no_error (error);
  ((guint8 *) mpaio_shared_memory_get_writable_data (memory))[3] = 5;

  /* Sealing in place keeps the view valid; it is read-only now. */
  g_assert_true (mpaio_shared_memory_seal (memory, &error));
  g_assert_no_error (error);
  g_assert_cmpint (((const guint8 *) g_bytes_get_data (view, NULL))[3], ==, 5);
  g_bytes_unref (view);
}

/* Whether every page of [data, data + size) is in this process's page
 * tables (bit 63 of its /proc/self/pagemap entry), touched or not. */
static gboolean
pages_present (gconstpointer data,
               gsize         size)
{
  gsize page_size = sysconf (_SC_PAGESIZE);
  gsize n_pages = size / page_size;
  g_autofree guint64 *entries = g_new (guint64, n_pages);
  off_t offset = (guintptr) data / page_size * sizeof (guint64);
  int fd = open ("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  gssize n_read;

  g_assert_cmpint (fd, >=, 0);
  n_read = pread (fd, entries, n_pages * sizeof (guint64), offset);
  close (fd);
  g_assert_cmpint (n_read, ==, n_pages * sizeof (guint64));

  for (gsize i = 0; i < n_pages; i++)
    if ((entries[i] & (G_GUINT64_CONSTANT (1) << 63)) == 0)
      return FALSE;

  return TRUE;
}

static void
test_seal_keeps_pages (void)
{
  const gsize size = 2 * 1024 * 1024;
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new (size, &error);
  guint8 *data = mpaio_shared_memory_get_writable_data (memory);

  g_assert_no_error (error);
  memset (data, 1, size);
  g_assert_true (pages_present (data, size));

  /* The same view, still in the page tables: a thread pool reading it
   * after sealing pays no page fault for what the caller filled. */
  g_assert_true (mpaio_shared_memory_seal (memory, &error));
  g_assert_no_error (error);
  g_assert_true (mpaio_shared_memory_get_data (memory) == data);
  g_assert_true (pages_present (data, size));
}

static void
test_write_after_seal_faults (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new (4096, &error);
  guint8 *data = mpaio_shared_memory_get_writable_data (memory);

  if (g_test_subprocess ())
    {
      g_assert_true (mpaio_shared_memory_seal (memory, &error));
      data[0] = 1;  /* faults: the caller's view is read-only now */
      g_test_message ("the write went through");
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stdout_unmatched ("*went through*");
}

/* Everything a process holding the fd could try, after sealing. */
static void
test_sealed_fd_refuses_writes (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new (4096, &error);
  int fd = mpaio_shared_memory_get_fd (memory);
  gpointer view;

  g_assert_true (mpaio_shared_memory_seal (memory, &error));
  g_assert_true (mmap (NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED);
  g_assert_cmpint (pwrite (fd, "x", 1, 0), <, 0);
  g_assert_cmpint (ftruncate (fd, 0), <, 0);
  g_assert_cmpint (ftruncate (fd, 8192), <, 0);

  view = mmap (NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
  g_assert_true (view != MAP_FAILED);
  g_assert_cmpint (mprotect (view, 4096, PROT_READ | PROT_WRITE), <, 0);
  munmap (view, 4096);

  /* And no seal can be taken off. */
  g_assert_cmpint (fcntl (fd, F_ADD_SEALS, 0), <, 0);
  g_assert_cmpint (fcntl (fd, F_GET_SEALS) & F_SEAL_SEAL, !=, 0);
}

static void
test_seal_with_foreign_mapping (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new (4096, &error);
  guint8 *data = mpaio_shared_memory_get_writable_data (memory);
  gpointer other;

  data[0] = 9;
  other = mmap (NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mpaio_shared_memory_get_fd (memory), 0);
  g_assert_true (other != MAP_FAILED);

  g_assert_false (mpaio_shared_memory_seal (memory, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_SEAL_FAILED);
  g_clear_error (&error);

  /* Still usable, with its contents. */
  data = mpaio_shared_memory_get_writable_data (memory);
  g_assert_cmpint (data[0], ==, 9);

  munmap (other, 4096);
  g_assert_true (mpaio_shared_memory_seal (memory, &error));
  g_assert_no_error (error);
}

static void
test_attach_by_name (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = NULL;
  g_autofree char *name = g_strdup_printf ("/mpaio-test-%d", (int) getpid ());
  const char *data;
  int fd;

  fd = shm_open (name, O_CREAT | O_EXCL | O_RDWR, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, 6), ==, 0);
  g_assert_cmpint (write (fd, "numpy!", 6), ==, 6);
  close (fd);

  /* Python's SharedMemory.name has no leading slash. */
  memory = mpaio_shared_memory_new_from_name (name + 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mpaio_shared_memory_get_name (memory), ==, name);
  g_assert_cmpuint (mpaio_shared_memory_get_size (memory), ==, 6);
  g_assert_false (mpaio_shared_memory_is_writable (memory));
  data = mpaio_shared_memory_get_data (memory);
  g_assert_cmpmem (data, 6, "numpy!", 6);

  g_assert_false (mpaio_shared_memory_seal (memory, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_READ_ONLY);
  g_clear_error (&error);

  g_assert_false (mpaio_shared_memory_write (memory, 0, (const guint8 *) "x", 1, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_READ_ONLY);

  shm_unlink (name);
}

static void
test_attach_missing_name (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new_from_name ("mpaio-does-not-exist", &error);

  g_assert_null (memory);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "/mpaio-does-not-exist"));
}

/* The permissions ("rw-p") of the mapping that starts at @address in
 * /proc/self/maps, or NULL if none does. */
static char *
dup_permissions_at (gconstpointer address)
{
  g_autofree char *maps = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  lines = g_strsplit (maps, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      guint64 start = g_ascii_strtoull (lines[i], NULL, 16);
      const char *space = strchr (lines[i], ' ');

      if (start == (guintptr) address && space != NULL)
        return g_strndup (space + 1, 4);
    }

  return NULL;
}

/* Whatever the kernel maps next, the page after a memory is never
 * accessible: a worker that writes past the end of its output faults
 * there, and is not taken for one that wrote to its input (which could
 * otherwise sit right after the output). Two memories made one after the
 * other are where the kernel would put them side by side. */
static void
test_guard_page (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) first = mpaio_shared_memory_new (3 * 4096, &error);
  g_autoptr(MpaioSharedMemory) second = mpaio_shared_memory_new (100, &error);
  g_autoptr(GBytes) bytes = g_bytes_new_static ("constant", 8);
  g_autoptr(MpaioSharedMemory) sealed = mpaio_shared_memory_new_from_bytes (bytes, &error);
  gsize page = sysconf (_SC_PAGESIZE);
  struct {
    MpaioSharedMemory *memory;
    gsize              pages;
  } cases[] = { { first, 3 }, { second, 1 }, { sealed, 1 } };

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const guint8 *data = mpaio_shared_memory_get_data (cases[i].memory);
      g_autofree char *after = dup_permissions_at (data + cases[i].pages * page);

      g_test_message ("memory %u: %s after it", i, after);
      g_assert_cmpstr (after, ==, "---p");
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mpaio/shared-memory/create-and-seal", test_create_and_seal);
  g_test_add_func ("/mpaio/shared-memory/sealed-notifies-once", test_sealed_notifies);
  g_test_add_func ("/mpaio/shared-memory/write", test_write);
  g_test_add_func ("/mpaio/shared-memory/zero-size", test_zero_size);
  g_test_add_func ("/mpaio/shared-memory/from-bytes", test_from_bytes);
  g_test_add_func ("/mpaio/shared-memory/view-outlives-memory", test_view_outlives_memory);
  g_test_add_func ("/mpaio/shared-memory/view-out-of-range", test_view_out_of_range);
  g_test_add_func ("/mpaio/shared-memory/seal-keeps-live-view", test_seal_with_live_view);
  g_test_add_func ("/mpaio/shared-memory/seal-with-foreign-mapping", test_seal_with_foreign_mapping);
  g_test_add_func ("/mpaio/shared-memory/seal-keeps-pages", test_seal_keeps_pages);
  g_test_add_func ("/mpaio/shared-memory/write-after-seal-faults", test_write_after_seal_faults);
  g_test_add_func ("/mpaio/shared-memory/sealed-fd-refuses-writes", test_sealed_fd_refuses_writes);
  g_test_add_func ("/mpaio/shared-memory/guard-page", test_guard_page);
  g_test_add_func ("/mpaio/shared-memory/attach-by-name", test_attach_by_name);
  g_test_add_func ("/mpaio/shared-memory/attach-missing-name", test_attach_missing_name);

  return g_test_run ();
}
