/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#include "mpaio-error.h"
#include "mpaio-serve.h"
#include "mpaio-wire-private.h"

typedef struct
{
  int parent;
  int child;
  guint8 *buffer;
} Channel;

static void
channel_setup (Channel       *channel,
               gconstpointer  data)
{
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), ==, 0);
  channel->parent = fds[0];
  channel->child = fds[1];
  channel->buffer = g_malloc (MPAIO_WIRE_MAX_INLINE);
}

static void
channel_teardown (Channel       *channel,
                  gconstpointer  data)
{
  close (channel->parent);
  if (channel->child >= 0)
    close (channel->child);
  g_free (channel->buffer);
}

static void
send_message (Channel          *channel,
              MpaioMessageKind  kind,
              GVariant         *body,
              int               fd)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) packet = NULL;
  g_autoptr(GVariant) owned = g_variant_ref_sink (body);
  int large_fd = -1;

  g_assert_true (mpaio_wire_encode (kind, owned, &packet, &large_fd, &error));
  g_assert_no_error (error);
  g_assert_cmpint (mpaio_wire_send (channel->child, packet, large_fd >= 0 ? large_fd : fd), ==, 0);
  if (large_fd >= 0)
    close (large_fd);
}

static GVariant *
result_body (guint32   binding,
             guint64   chunk,
             GVariant *value)
{
  return g_variant_new_parsed ("(@t 0, [(%u, %t)], [%v])", binding, chunk, value);
}

static void
send_raw (Channel       *channel,
          gconstpointer  data,
          gsize          size)
{
  g_assert_cmpint (send (channel->child, data, size, 0), ==, (gssize) size);
}

static void
assert_fails (Channel *channel)
{
  g_autoptr(GError) error = NULL;
  MpaioMessage message = { .fd = -1 };

  g_assert_cmpint (mpaio_wire_receive (channel->parent, channel->buffer, FALSE, &message, &error),
                   ==, MPAIO_WIRE_FAILED);
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL);
  g_assert_null (message.body);
  g_assert_cmpint (message.fd, ==, -1);
  g_test_message ("%s", error->message);
}

static void
test_round_trip (Channel       *channel,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  MpaioMessage message = { .fd = -1 };
  g_autoptr(GVariantIter) iter = NULL;
  guint64 chunk;

  send_message (channel, MPAIO_MESSAGE_RESULT, result_body (3, 17, g_variant_new_int64 (-5)), -1);

  g_assert_cmpint (mpaio_wire_receive (channel->parent, channel->buffer, FALSE, &message, &error),
                   ==, MPAIO_WIRE_MESSAGE);
  g_assert_no_error (error);
  g_assert_cmpint (message.kind, ==, MPAIO_MESSAGE_RESULT);
  g_variant_get_child (message.body, 1, "a(ut)", &iter);
  g_assert_true (g_variant_iter_next (iter, "(ut)", NULL, &chunk));
  g_assert_cmpuint (chunk, ==, 17);
  mpaio_message_clear (&message);

  g_assert_cmpint (mpaio_wire_receive (channel->parent, channel->buffer, FALSE, &message, &error),
                   ==, MPAIO_WIRE_WOULD_BLOCK);

  close (channel->child);
  channel->child = -1;
  g_assert_cmpint (mpaio_wire_receive (channel->parent, channel->buffer, FALSE, &message, &error),
                   ==, MPAIO_WIRE_CLOSED);
}

static void
test_large_message (Channel       *channel,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strnfill (5 * MPAIO_WIRE_MAX_INLINE, 'z');
  MpaioMessage message = { .fd = -1 };
  g_autoptr(GVariantIter) iter = NULL;
  g_autoptr(GVariant) value = NULL;

  send_message (channel, MPAIO_MESSAGE_RESULT, result_body (1, 2, g_variant_new_string (text)), -1);

  g_assert_cmpint (mpaio_wire_receive (channel->parent, channel->buffer, FALSE, &message, &error),
                   ==, MPAIO_WIRE_MESSAGE);
  g_assert_no_error (error);
  g_assert_cmpint (message.kind, ==, MPAIO_MESSAGE_RESULT);
  g_assert_cmpint (message.fd, ==, -1);
  g_variant_get_child (message.body, 2, "av", &iter);
  g_assert_true (g_variant_iter_next (iter, "v", &value));
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, text);
  mpaio_message_clear (&message);
}

static void
test_memory_carries_fd (Channel       *channel,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  MpaioMessage message = { .fd = -1 };
  int fd = memfd_create ("test", MFD_CLOEXEC);

  send_message (channel, MPAIO_MESSAGE_MEMORY, g_variant_new ("(ttb)", 1, 4096, FALSE), fd);
  close (fd);

  g_assert_cmpint (mpaio_wire_receive (channel->parent, channel->buffer, FALSE, &message, &error),
                   ==, MPAIO_WIRE_MESSAGE);
  g_assert_no_error (error);
  g_assert_cmpint (message.fd, >=, 0);
  mpaio_message_clear (&message);
  g_assert_cmpint (message.fd, ==, -1);
}

static void
test_garbage (Channel       *channel,
              gconstpointer  data)
{
  send_raw (channel, "\xff\xfe garbage that is no GVariant", 30);
  assert_fails (channel);
}

static void
test_empty_packet (Channel       *channel,
                   gconstpointer  data)
{
  send_raw (channel, "", 0);
  assert_fails (channel);
}

static void
test_truncated (Channel       *channel,
                gconstpointer  data)
{
  g_autoptr(GVariant) envelope = g_variant_ref_sink (g_variant_new ("(uv)", MPAIO_MESSAGE_PROCESS,
                                                                    g_variant_new_parsed ("(@u 1, [(@t 2, @t 3, @t 4)])")));

  send_raw (channel, g_variant_get_data (envelope), g_variant_get_size (envelope) - 5);
  assert_fails (channel);
}

static void
test_wrong_body_type (Channel       *channel,
                      gconstpointer  data)
{
  g_autoptr(GVariant) envelope = g_variant_ref_sink (g_variant_new ("(uv)", MPAIO_MESSAGE_RESULT,
                                                                    g_variant_new ("(s)", "nope")));

  send_raw (channel, g_variant_get_data (envelope), g_variant_get_size (envelope));
  assert_fails (channel);
}

static void
test_unknown_kind (Channel       *channel,
                   gconstpointer  data)
{
  g_autoptr(GVariant) envelope = g_variant_ref_sink (g_variant_new ("(uv)", 9999, g_variant_new ("(u)", 1)));

  send_raw (channel, g_variant_get_data (envelope), g_variant_get_size (envelope));
  assert_fails (channel);
}

static void
test_oversized_packet (Channel       *channel,
                       gconstpointer  data)
{
  g_autofree char *big = g_malloc0 (MPAIO_WIRE_MAX_INLINE + 100);

  send_raw (channel, big, MPAIO_WIRE_MAX_INLINE + 100);
  assert_fails (channel);
}

static void
test_unexpected_fd (Channel       *channel,
                    gconstpointer  data)
{
  int fd = memfd_create ("unexpected", MFD_CLOEXEC);

  send_message (channel, MPAIO_MESSAGE_RESULT, result_body (1, 2, g_variant_new_int32 (0)), fd);
  close (fd);
  assert_fails (channel);
}

static void
test_large_without_seal (Channel       *channel,
                         gconstpointer  data)
{
  g_autoptr(GVariant) envelope = g_variant_ref_sink (g_variant_new ("(uv)", MPAIO_MESSAGE_LARGE,
                                                                    g_variant_new ("(t)", 100)));
  g_autoptr(GBytes) packet = g_variant_get_data_as_bytes (envelope);
  int fd = memfd_create ("unsealed", MFD_CLOEXEC);

  g_assert_cmpint (ftruncate (fd, 100), ==, 0);
  g_assert_cmpint (mpaio_wire_send (channel->child, packet, fd), ==, 0);
  close (fd);
  assert_fails (channel);
}

static void
test_decode_consumes_fds (void)
{
  g_autoptr(GBytes) packet = g_bytes_new_static ("junk", 4);
  int fds[2] = { memfd_create ("a", MFD_CLOEXEC), memfd_create ("b", MFD_CLOEXEC) };
  MpaioMessage message;

  g_assert_false (mpaio_wire_decode (packet, fds, 2, &message, NULL));
  g_assert_cmpint (fcntl (fds[0], F_GETFD), ==, -1);
  g_assert_cmpint (fcntl (fds[1], F_GETFD), ==, -1);
}

static void
test_serve_not_a_worker (void)
{
  g_autoptr(GError) error = NULL;

  g_unsetenv ("MPAIO_WORKER_FD");
  g_assert_false (mpaio_is_worker_process ());
  g_assert_false (mpaio_serve (&error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_FAILED);
}

/* A pool that shut down while its worker started: the worker's handshake
 * meets a closed channel, which is the end of its work, not a failure. */
static void
test_serve_pool_gone (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *fd_string = NULL;
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), ==, 0);
  close (fds[0]);
  fd_string = g_strdup_printf ("%d", fds[1]);
  g_setenv ("MPAIO_WORKER_FD", fd_string, TRUE);

  g_assert_true (mpaio_is_worker_process ());
  g_assert_true (mpaio_serve (&error));
  g_assert_no_error (error);
  g_assert_false (mpaio_is_worker_process ());
  g_assert_cmpint (fcntl (fds[1], F_GETFD), ==, -1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Channel, NULL, channel_setup, func, channel_teardown)
  ADD ("/mpaio/wire/round-trip", test_round_trip);
  ADD ("/mpaio/wire/large-message", test_large_message);
  ADD ("/mpaio/wire/memory-carries-fd", test_memory_carries_fd);
  ADD ("/mpaio/wire/reject/garbage", test_garbage);
  ADD ("/mpaio/wire/reject/truncated", test_truncated);
  ADD ("/mpaio/wire/reject/empty-packet", test_empty_packet);
  ADD ("/mpaio/wire/reject/wrong-body-type", test_wrong_body_type);
  ADD ("/mpaio/wire/reject/unknown-kind", test_unknown_kind);
  ADD ("/mpaio/wire/reject/oversized-packet", test_oversized_packet);
  ADD ("/mpaio/wire/reject/unexpected-fd", test_unexpected_fd);
  ADD ("/mpaio/wire/reject/large-without-seal", test_large_without_seal);
#undef ADD
  g_test_add_func ("/mpaio/wire/decode-consumes-fds", test_decode_consumes_fds);
  g_test_add_func ("/mpaio/serve/not-a-worker", test_serve_not_a_worker);
  g_test_add_func ("/mpaio/serve/pool-gone", test_serve_pool_gone);

  return g_test_run ();
}
