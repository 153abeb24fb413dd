/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Sealing where the kernel cannot seal in place (before Linux 5.1): the
 * caller's view is replaced by a read-only one under F_SEAL_WRITE. */
#include "config.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mpaio-error.h"
#include "mpaio-seal-private.h"
#include "mpaio-shared-memory-private.h"

static void
test_remap_fallback (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new (8192, &error);
  guint8 *data = mpaio_shared_memory_get_writable_data (memory);
  int fd = mpaio_shared_memory_get_fd (memory);
  const guint8 *sealed;

  mpaio_seal_pretend_unsupported (TRUE);
  data[4096] = 3;

  g_assert_true (mpaio_shared_memory_seal (memory, &error));
  g_assert_no_error (error);
  sealed = mpaio_shared_memory_get_data (memory);
  g_assert_cmpint (sealed[4096], ==, 3);
  g_assert_cmpint (fcntl (fd, F_GET_SEALS) & F_SEAL_WRITE, !=, 0);
  g_assert_cmpint (fcntl (fd, F_GET_SEALS) & F_SEAL_FUTURE_WRITE, ==, 0);
  g_assert_true (mpaio_seal_fd_is_constant (fd));
  g_assert_true (mmap (NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED);

  mpaio_seal_pretend_unsupported (FALSE);
}

/* The old way cannot keep a view alive across sealing; it says so, and
 * the memory stays usable. */
static void
test_remap_refuses_live_view (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new (64, &error);
  GBytes *view = mpaio_shared_memory_dup_bytes (memory, 0, 64, &error);

  mpaio_seal_pretend_unsupported (TRUE);
  g_assert_false (mpaio_shared_memory_seal (memory, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_SEAL_FAILED);
  g_clear_error (&error);
  g_assert_true (mpaio_shared_memory_is_writable (memory));

  g_bytes_unref (view);
  g_assert_true (mpaio_shared_memory_seal (memory, &error));
  g_assert_no_error (error);
  mpaio_seal_pretend_unsupported (FALSE);
}

/* What a worker counts as sealed. */
static void
test_fd_is_constant (void)
{
  int fd = memfd_create ("test", MFD_CLOEXEC | MFD_ALLOW_SEALING);

  g_assert_false (mpaio_seal_fd_is_constant (fd));
  g_assert_cmpint (fcntl (fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), ==, 0);
  g_assert_false (mpaio_seal_fd_is_constant (fd));
  g_assert_cmpint (fcntl (fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), ==, 0);
  g_assert_true (mpaio_seal_fd_is_constant (fd));
  close (fd);

  /* A regular file has no seals at all. */
  fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  g_assert_false (mpaio_seal_fd_is_constant (fd));
  close (fd);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mpaio/seal/remap-fallback", test_remap_fallback);
  g_test_add_func ("/mpaio/seal/remap-refuses-live-view", test_remap_refuses_live_view);
  g_test_add_func ("/mpaio/seal/fd-is-constant", test_fd_is_constant);

  return g_test_run ();
}
