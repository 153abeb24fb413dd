/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The MPI executor's own message bodies (mpaio-mpi-protocol.c): each
 * builder's body, serialized as it travels and decoded, parses back to
 * what was built; what a peer could send wrong is a protocol error. No
 * MPI call is made: it runs without mpirun. */
#include "config.h"

#include <string.h>

#include <mpaio.h>

#include "mpaio-mpi-protocol-private.h"

/* A body as a peer receives it: serialized, then decoded for its tag. */
static GVariant *
travel (int       tag,
        GVariant *body,
        GError  **error)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (body);
  g_autoptr(GBytes) bytes = g_variant_get_data_as_bytes (owned);

  return mpaio_mpi_decode (tag, bytes, error);
}

static void
test_hello_round_trip (void)
{
  MpaioMpiHello hello = { MPAIO_MPI_PROTOCOL_VERSION, "node-7", 4242, "5a1e-boot" };
  MpaioMpiHello parsed = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) body = travel (MPAIO_MPI_TAG_HELLO, mpaio_mpi_hello_build (&hello), &error);

  g_assert_no_error (error);
  g_assert_true (mpaio_mpi_hello_parse (body, &parsed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (parsed.version, ==, MPAIO_MPI_PROTOCOL_VERSION);
  g_assert_cmpstr (parsed.host, ==, "node-7");
  g_assert_cmpuint (parsed.pid, ==, 4242);
  g_assert_cmpstr (parsed.boot_id, ==, "5a1e-boot");
}

static void
test_memory_round_trip (void)
{
  MpaioMpiMemory memory = { 17, G_GUINT64_CONSTANT (800000000), TRUE, 99, 12, 123456789 };
  MpaioMpiMemory parsed = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) body = travel (MPAIO_MPI_TAG_MEMORY, mpaio_mpi_memory_build (&memory), &error);

  g_assert_no_error (error);
  g_assert_true (mpaio_mpi_memory_parse (body, &parsed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (parsed.id, ==, 17);
  g_assert_cmpuint (parsed.size, ==, G_GUINT64_CONSTANT (800000000));
  g_assert_true (parsed.local);
  g_assert_cmpuint (parsed.pid, ==, 99);
  g_assert_cmpuint (parsed.fd, ==, 12);
  g_assert_cmpuint (parsed.inode, ==, 123456789);
}

static void
test_failed_round_trip (void)
{
  const char *message = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) body = travel (MPAIO_MPI_TAG_FAILED,
                                     mpaio_mpi_failed_build ("Worker type “Nope” is unknown"), &error);

  g_assert_no_error (error);
  g_assert_true (mpaio_mpi_failed_parse (body, &message, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (message, ==, "Worker type “Nope” is unknown");
}

/* The process pool's messages travel through MPI with their own types. */
static void
test_pool_message_decodes (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) body = travel (MPAIO_MESSAGE_FORGET_MEMORY,
                                     mpaio_wire_forget_memory_build (5), &error);
  guint64 id = 0;

  g_assert_no_error (error);
  g_assert_true (mpaio_wire_forget_memory_parse (body, &id, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (id, ==, 5);
}

static void
test_unknown_tag (void)
{
  g_autoptr(GBytes) bytes = g_bytes_new_static ("", 0);
  g_autoptr(GError) error = NULL;

  g_assert_null (mpaio_mpi_decode (1000, bytes, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "unknown kind 1000"));
}

/* A hello's bytes are not a memory: wrong size for "(ttbttt)". */
static void
test_wrong_body (void)
{
  MpaioMpiHello hello = { MPAIO_MPI_PROTOCOL_VERSION, "h", 1, "b" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) body = travel (MPAIO_MPI_TAG_MEMORY, mpaio_mpi_hello_build (&hello), &error);
  MpaioMpiMemory memory;

  g_assert_null (body);
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "(ttbttt)"));

  /* A parser given a body of another kind refuses it too. */
  g_clear_error (&error);
  body = g_variant_ref_sink (mpaio_mpi_hello_build (&hello));
  g_assert_false (mpaio_mpi_memory_parse (body, &memory, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL);
}

static void
test_hello_other_version (void)
{
  MpaioMpiHello hello = { MPAIO_MPI_PROTOCOL_VERSION + 1, "node-2", 7, "b" };
  MpaioMpiHello parsed;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) body = g_variant_ref_sink (mpaio_mpi_hello_build (&hello));

  g_assert_false (mpaio_mpi_hello_parse (body, &parsed, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "node-2"));
  g_assert_nonnull (strstr (error->message, "same Mpaio on every node"));
}

static void
test_out_of_range (void)
{
  MpaioMpiHello hello = { MPAIO_MPI_PROTOCOL_VERSION, "h", 0, "b" };
  MpaioMpiMemory memory = { 1, 8, TRUE, 99, G_GUINT64_CONSTANT (1) << 40, 1 };
  MpaioMpiHello parsed_hello;
  MpaioMpiMemory parsed_memory;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) hello_body = g_variant_ref_sink (mpaio_mpi_hello_build (&hello));
  g_autoptr(GVariant) memory_body = g_variant_ref_sink (mpaio_mpi_memory_build (&memory));

  g_assert_false (mpaio_mpi_hello_parse (hello_body, &parsed_hello, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL);
  g_clear_error (&error);

  g_assert_false (mpaio_mpi_memory_parse (memory_body, &parsed_memory, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "file descriptor"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mpaio/mpi-wire/hello-round-trip", test_hello_round_trip);
  g_test_add_func ("/mpaio/mpi-wire/memory-round-trip", test_memory_round_trip);
  g_test_add_func ("/mpaio/mpi-wire/failed-round-trip", test_failed_round_trip);
  g_test_add_func ("/mpaio/mpi-wire/pool-message-decodes", test_pool_message_decodes);
  g_test_add_func ("/mpaio/mpi-wire/unknown-tag", test_unknown_tag);
  g_test_add_func ("/mpaio/mpi-wire/wrong-body", test_wrong_body);
  g_test_add_func ("/mpaio/mpi-wire/hello-other-version", test_hello_other_version);
  g_test_add_func ("/mpaio/mpi-wire/out-of-range", test_out_of_range);

  return g_test_run ();
}
