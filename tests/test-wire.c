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
  g_autoptr(GVariant) owned = g_variant_ref_sink (value);
  MpaioResultId id = { binding, 0, chunk };

  return mpaio_wire_result_build (0, &id, &owned, 1);
}

static void
send_raw (Channel       *channel,
          gconstpointer  data,
          gsize          size)
{
  g_assert_cmpint (send (channel->child, data, size, 0), ==, (gssize) size);
}

/* Sends a message with no check, cut short by @cut bytes. */
static void
send_forged (Channel  *channel,
             guint32   kind,
             GVariant *body,
             gsize     cut)
{
  g_autoptr(GBytes) packet = mpaio_wire_pack (kind, body);

  send_raw (channel, g_bytes_get_data (packet, NULL), g_bytes_get_size (packet) - cut);
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
  g_auto(MpaioWireResult) result = { 0, NULL, 0, NULL };

  send_message (channel, MPAIO_MESSAGE_RESULT, result_body (3, 17, g_variant_new_int64 (-5)), -1);

  g_assert_cmpint (mpaio_wire_receive (channel->parent, channel->buffer, FALSE, &message, &error),
                   ==, MPAIO_WIRE_MESSAGE);
  g_assert_no_error (error);
  g_assert_cmpint (message.kind, ==, MPAIO_MESSAGE_RESULT);
  g_assert_true (mpaio_wire_result_parse (message.body, &result, &error));
  g_assert_cmpuint (result.n_results, ==, 1);
  g_assert_cmpuint (result.ids[0].chunk, ==, 17);
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
  g_auto(MpaioWireResult) result = { 0, NULL, 0, NULL };
  g_autoptr(GVariant) value = NULL;

  send_message (channel, MPAIO_MESSAGE_RESULT, result_body (1, 2, g_variant_new_string (text)), -1);

  g_assert_cmpint (mpaio_wire_receive (channel->parent, channel->buffer, FALSE, &message, &error),
                   ==, MPAIO_WIRE_MESSAGE);
  g_assert_no_error (error);
  g_assert_cmpint (message.kind, ==, MPAIO_MESSAGE_RESULT);
  g_assert_cmpint (message.fd, ==, -1);
  g_assert_true (mpaio_wire_result_parse (message.body, &result, &error));
  value = mpaio_wire_result_dup_value (&result, 0);
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

  send_message (channel, MPAIO_MESSAGE_MEMORY, mpaio_wire_memory_build (&(MpaioWireMemory) { 1, 4096, FALSE }), fd);
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
  const MpaioWireRange range = { 2, 3, 4 };

  send_forged (channel, MPAIO_MESSAGE_PROCESS,
               mpaio_wire_process_build (&(MpaioWireProcess) { 1, &range, 1 }), 5);
  assert_fails (channel);
}

static void
test_wrong_body_type (Channel       *channel,
                      gconstpointer  data)
{
  send_forged (channel, MPAIO_MESSAGE_RESULT, g_variant_new_string ("nope"), 0);
  assert_fails (channel);
}

static void
test_unknown_kind (Channel       *channel,
                   gconstpointer  data)
{
  send_forged (channel, 9999, mpaio_wire_unbind_build (1), 0);
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
  g_autoptr(GBytes) packet = mpaio_wire_pack (MPAIO_MESSAGE_LARGE, mpaio_wire_large_build (100));
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

/* Bodies: every message through its builder, the wire and its parser. */

static GVariant *
through_wire (MpaioMessageKind  kind,
              GVariant         *body)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) owned = g_variant_ref_sink (body);
  g_autoptr(GBytes) packet = NULL;
  MpaioMessage message = { .fd = -1 };
  int large_fd = -1;
  GVariant *decoded;

  g_assert_true (mpaio_wire_encode (kind, owned, &packet, &large_fd, &error));
  g_assert_no_error (error);
  g_assert_true (mpaio_wire_decode (packet, &large_fd, large_fd >= 0 ? 1 : 0, &message, &error));
  g_assert_no_error (error);
  g_assert_cmpint (message.kind, ==, kind);
  decoded = g_steal_pointer (&message.body);
  mpaio_message_clear (&message);

  return decoded;
}

static void
test_body_hello (void)
{
  g_autoptr(GError) error = NULL;
  MpaioWireHello in = { MPAIO_PROTOCOL_VERSION, 4242 }, out;
  g_autoptr(GVariant) body = through_wire (MPAIO_MESSAGE_HELLO, mpaio_wire_hello_build (&in));

  g_assert_true (mpaio_wire_hello_parse (body, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (out.version, ==, in.version);
  g_assert_cmpuint (out.pid, ==, in.pid);
}

static void
test_body_memory (void)
{
  g_autoptr(GError) error = NULL;
  MpaioWireMemory in = { 7, 4096, TRUE }, out;
  g_autoptr(GVariant) body = g_variant_ref_sink (mpaio_wire_memory_build (&in));

  g_assert_true (mpaio_wire_memory_parse (body, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (out.id, ==, 7);
  g_assert_cmpuint (out.size, ==, 4096);
  g_assert_true (out.output);
}

static void
test_body_forget_memory (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) body = through_wire (MPAIO_MESSAGE_FORGET_MEMORY,
                                           mpaio_wire_forget_memory_build (G_MAXUINT64));
  guint64 id = 0;

  g_assert_true (mpaio_wire_forget_memory_parse (body, &id, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (id, ==, G_MAXUINT64);
}

static void
test_body_worker (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) spec = g_variant_ref_sink (g_variant_new_parsed ("('MyWorker', {'n': <@x 3>})"));
  MpaioWireWorker in = { 5, spec };
  g_auto(MpaioWireWorker) out = { 0, NULL };
  g_autoptr(GVariant) body = through_wire (MPAIO_MESSAGE_WORKER, mpaio_wire_worker_build (&in));

  g_assert_true (mpaio_wire_worker_parse (body, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (out.id, ==, 5);
  g_assert_true (g_variant_equal (out.spec, spec));
}

/* A spec built by the wire module travels in WORKER and reads back the
 * same: type name and properties. */
static void
test_body_worker_spec (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) spec = g_variant_ref_sink (mpaio_wire_spec_new ("MyWorker",
                                                                      g_variant_new_parsed ("{'n': <@x 3>}")));
  MpaioWireWorker in = { 7, spec };
  g_auto(MpaioWireWorker) out = { 0, NULL };
  g_autoptr(GVariant) body = through_wire (MPAIO_MESSAGE_WORKER, mpaio_wire_worker_build (&in));
  g_autoptr(GVariantIter) properties = NULL;
  g_autoptr(GVariant) value = NULL;
  const char *type_name, *name;

  g_assert_true (mpaio_wire_worker_parse (body, &out, &error));
  g_assert_no_error (error);
  mpaio_wire_spec_get (out.spec, &type_name, &properties);
  g_assert_cmpstr (type_name, ==, "MyWorker");
  g_assert_cmpuint (g_variant_iter_n_children (properties), ==, 1);
  g_assert_true (g_variant_iter_next (properties, "{&sv}", &name, &value));
  g_assert_cmpstr (name, ==, "n");
  g_assert_cmpint (g_variant_get_int64 (value), ==, 3);
}

static void
test_body_forget_worker (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) body = through_wire (MPAIO_MESSAGE_FORGET_WORKER,
                                           mpaio_wire_forget_worker_build (G_MAXUINT32));
  guint32 id = 0;

  g_assert_true (mpaio_wire_forget_worker_parse (body, &id, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (id, ==, G_MAXUINT32);
}

static void
test_body_bind (void)
{
  g_autoptr(GError) error = NULL;
  MpaioWireBind in = { 1, 2, 3, 16, 8, "<i8", 4, 2 }, out;
  MpaioWireBind no_dtype = { 1, 2, 3, 0, 8, NULL, 0, 0 };
  g_autoptr(GVariant) body = through_wire (MPAIO_MESSAGE_BIND, mpaio_wire_bind_build (&in));
  g_autoptr(GVariant) body2 = through_wire (MPAIO_MESSAGE_BIND, mpaio_wire_bind_build (&no_dtype));

  g_assert_true (mpaio_wire_bind_parse (body, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (out.binding_id, ==, 1);
  g_assert_cmpuint (out.worker_id, ==, 2);
  g_assert_cmpuint (out.memory_id, ==, 3);
  g_assert_cmpuint (out.offset, ==, 16);
  g_assert_cmpuint (out.element_size, ==, 8);
  g_assert_cmpstr (out.dtype, ==, "<i8");
  g_assert_cmpuint (out.output_id, ==, 4);
  g_assert_cmpuint (out.output_element_size, ==, 2);

  g_assert_true (mpaio_wire_bind_parse (body2, &out, &error));
  g_assert_no_error (error);
  g_assert_null (out.dtype);
  g_assert_cmpuint (out.output_id, ==, 0);
}

static void
test_body_unbind (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) body = through_wire (MPAIO_MESSAGE_UNBIND, mpaio_wire_unbind_build (99));
  guint32 id = 0;

  g_assert_true (mpaio_wire_unbind_parse (body, &id, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (id, ==, 99);
}

static void
test_body_process (void)
{
  g_autoptr(GError) error = NULL;
  const MpaioWireRange ranges[] = { { 0, 0, 10 }, { 1, 10, 20 }, { 9, 90, 90 } };
  MpaioWireProcess in = { 12, ranges, G_N_ELEMENTS (ranges) }, out;
  g_autoptr(GVariant) body = through_wire (MPAIO_MESSAGE_PROCESS, mpaio_wire_process_build (&in));

  g_assert_true (mpaio_wire_process_parse (body, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (out.binding_id, ==, 12);
  g_assert_cmpuint (out.n_ranges, ==, 3);
  g_assert_cmpmem (out.ranges, sizeof ranges, ranges, sizeof ranges);
}

static void
test_body_result (void)
{
  g_autoptr(GError) error = NULL;
  const MpaioResultId ids[] = { { 3, 0, 17 }, { 4, 0, 18 } };
  g_autoptr(GVariant) first = g_variant_ref_sink (g_variant_new_int64 (-5));
  g_autoptr(GVariant) second = g_variant_ref_sink (g_variant_new_string ("x"));
  GVariant *values[] = { first, second };
  g_auto(MpaioWireResult) out = { 0, NULL, 0, NULL };
  g_autoptr(GVariant) body = through_wire (MPAIO_MESSAGE_RESULT,
                                           mpaio_wire_result_build (250, ids, values, 2));
  g_autoptr(GVariant) value0 = NULL;
  g_autoptr(GVariant) value1 = NULL;

  g_assert_true (mpaio_wire_result_parse (body, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (out.busy_usec, ==, 250);
  g_assert_cmpuint (out.n_results, ==, 2);
  g_assert_cmpuint (out.ids[1].binding_id, ==, 4);
  g_assert_cmpuint (out.ids[1].chunk, ==, 18);
  value0 = mpaio_wire_result_dup_value (&out, 0);
  value1 = mpaio_wire_result_dup_value (&out, 1);
  g_assert_true (g_variant_equal (value0, first));
  g_assert_true (g_variant_equal (value1, second));
}

static void
test_body_error (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) converted = NULL;
  MpaioWireError in = { 2, 40, g_quark_to_string (G_IO_ERROR), G_IO_ERROR_NOT_FOUND, "gone" }, out;
  g_autoptr(GVariant) body = through_wire (MPAIO_MESSAGE_ERROR, mpaio_wire_error_build (&in));

  g_assert_true (mpaio_wire_error_parse (body, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (out.binding_id, ==, 2);
  g_assert_cmpuint (out.chunk, ==, 40);
  g_assert_cmpstr (out.domain, ==, in.domain);
  g_assert_cmpint (out.code, ==, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (out.message, ==, "gone");

  converted = mpaio_wire_error_to_gerror (&out);
  g_assert_error (converted, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (converted->message, ==, "gone");
}

/* A domain the caller cannot take on becomes MPAIO_ERROR_WORKER_FAILED. */
static void
test_body_error_strange_domain (void)
{
  g_autoptr(GError) converted = NULL;
  MpaioWireError in = { 1, 1, "no such domain", 3, "odd" };

  converted = mpaio_wire_error_to_gerror (&in);
  g_assert_error (converted, MPAIO_ERROR, MPAIO_ERROR_WORKER_FAILED);
  g_assert_nonnull (strstr (converted->message, "no such domain"));
}

/* Takes @error by address: it is read after the call that sets it. */
static void
test_body_not_serving (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) body = through_wire (MPAIO_MESSAGE_NOT_SERVING, mpaio_wire_not_serving_build ());

  g_assert_true (mpaio_wire_not_serving_parse (body, &error));
  g_assert_no_error (error);
}

static void
assert_rejected (gboolean   ok,
                 GError   **error)
{
  g_assert_false (ok);
  g_assert_error (*error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL);
  g_test_message ("%s", (*error)->message);
  g_clear_error (error);
}

/* Every parser refuses a body of another type, with a protocol error: a
 * body may reach it by another way than mpaio_wire_decode(). */
static void
test_body_reject_wrong_type (void)
{
  g_autoptr(GVariant) wrong = g_variant_ref_sink (g_variant_new ("(s)", "nope"));
  MpaioWireHello hello;
  MpaioWireMemory memory;
  MpaioWireWorker worker;
  MpaioWireBind bind;
  MpaioWireProcess process;
  MpaioWireResult result;
  MpaioWireError reply;
  guint64 id64;
  guint32 id32;
  GError *error = NULL;

#define CHECK(call) assert_rejected ((call), &error)
  CHECK (mpaio_wire_hello_parse (wrong, &hello, &error));
  CHECK (mpaio_wire_memory_parse (wrong, &memory, &error));
  CHECK (mpaio_wire_forget_memory_parse (wrong, &id64, &error));
  CHECK (mpaio_wire_worker_parse (wrong, &worker, &error));
  g_assert_null (worker.spec);
  CHECK (mpaio_wire_forget_worker_parse (wrong, &id32, &error));
  CHECK (mpaio_wire_bind_parse (wrong, &bind, &error));
  CHECK (mpaio_wire_unbind_parse (wrong, &id32, &error));
  CHECK (mpaio_wire_process_parse (wrong, &process, &error));
  CHECK (mpaio_wire_result_parse (wrong, &result, &error));
  g_assert_null (result.values);
  CHECK (mpaio_wire_error_parse (wrong, &reply, &error));
  CHECK (mpaio_wire_not_serving_parse (wrong, &error));
#undef CHECK
}

static void
test_body_reject_bounds (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) hello = g_variant_ref_sink (mpaio_wire_hello_build (&(MpaioWireHello) { 1, 0 }));
  g_autoptr(GVariant) big_pid = g_variant_ref_sink (mpaio_wire_hello_build (&(MpaioWireHello) { 1, G_MAXUINT64 }));
  g_autoptr(GVariant) memory = g_variant_ref_sink (mpaio_wire_memory_build (&(MpaioWireMemory) { 0, 8, FALSE }));
  g_autoptr(GVariant) bind = g_variant_ref_sink (mpaio_wire_bind_build (&(MpaioWireBind) { 1, 1, 1, 0, 0, NULL, 0, 0 }));
  g_autoptr(GVariant) bind_output = g_variant_ref_sink (mpaio_wire_bind_build (&(MpaioWireBind) { 1, 1, 1, 0, 8, NULL, 2, 0 }));
  g_autoptr(GVariant) bind_memory = g_variant_ref_sink (mpaio_wire_bind_build (&(MpaioWireBind) { 1, 1, 0, 0, 8, NULL, 0, 0 }));
  const MpaioWireRange backwards[] = { { 0, 0, 10 }, { 1, 20, 10 } };
  g_autoptr(GVariant) process = g_variant_ref_sink (mpaio_wire_process_build (&(MpaioWireProcess) { 1, backwards, 2 }));
  g_autoptr(GVariant) result = g_variant_ref_sink (g_variant_new_parsed ("(@t 0, [(@u 1, @t 2), (1, 3)], [<1>])"));
  MpaioWireHello hello_out;
  MpaioWireMemory memory_out;
  MpaioWireBind bind_out;
  MpaioWireProcess process_out;
  MpaioWireResult result_out;

  assert_rejected (mpaio_wire_hello_parse (hello, &hello_out, &error), &error);
  assert_rejected (mpaio_wire_hello_parse (big_pid, &hello_out, &error), &error);
  assert_rejected (mpaio_wire_memory_parse (memory, &memory_out, &error), &error);
  assert_rejected (mpaio_wire_bind_parse (bind, &bind_out, &error), &error);
  assert_rejected (mpaio_wire_bind_parse (bind_output, &bind_out, &error), &error);
  assert_rejected (mpaio_wire_bind_parse (bind_memory, &bind_out, &error), &error);
  assert_rejected (mpaio_wire_process_parse (process, &process_out, &error), &error);
  assert_rejected (mpaio_wire_result_parse (result, &result_out, &error), &error);
  g_assert_null (result_out.values);
}

/* The table says who sends what; each side refuses the other's kinds. */
static void
test_kind_directions (void)
{
  for (MpaioMessageKind kind = 1; kind < MPAIO_MESSAGE_LAST; kind++)
    {
      g_assert_nonnull (mpaio_message_kind_get_name (kind));
      g_assert_true (mpaio_message_kind_from_pool (kind) || mpaio_message_kind_from_worker (kind));
    }

  g_assert_true (mpaio_message_kind_from_worker (MPAIO_MESSAGE_RESULT));
  g_assert_false (mpaio_message_kind_from_pool (MPAIO_MESSAGE_RESULT));
  g_assert_true (mpaio_message_kind_from_pool (MPAIO_MESSAGE_PROCESS));
  g_assert_false (mpaio_message_kind_from_worker (MPAIO_MESSAGE_PROCESS));
  g_assert_false (mpaio_message_kind_from_pool (0));
  g_assert_false (mpaio_message_kind_from_worker (MPAIO_MESSAGE_LAST));
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
  g_test_add_func ("/mpaio/wire/body/hello", test_body_hello);
  g_test_add_func ("/mpaio/wire/body/memory", test_body_memory);
  g_test_add_func ("/mpaio/wire/body/forget-memory", test_body_forget_memory);
  g_test_add_func ("/mpaio/wire/body/worker", test_body_worker);
  g_test_add_func ("/mpaio/wire/body/worker-spec", test_body_worker_spec);
  g_test_add_func ("/mpaio/wire/body/bind", test_body_bind);
  g_test_add_func ("/mpaio/wire/body/forget-worker", test_body_forget_worker);
  g_test_add_func ("/mpaio/wire/body/unbind", test_body_unbind);
  g_test_add_func ("/mpaio/wire/body/process", test_body_process);
  g_test_add_func ("/mpaio/wire/body/result", test_body_result);
  g_test_add_func ("/mpaio/wire/body/error", test_body_error);
  g_test_add_func ("/mpaio/wire/body/error-strange-domain", test_body_error_strange_domain);
  g_test_add_func ("/mpaio/wire/body/not-serving", test_body_not_serving);
  g_test_add_func ("/mpaio/wire/body/reject/wrong-type", test_body_reject_wrong_type);
  g_test_add_func ("/mpaio/wire/body/reject/bounds", test_body_reject_bounds);
  g_test_add_func ("/mpaio/wire/kind-directions", test_kind_directions);
  g_test_add_func ("/mpaio/serve/not-a-worker", test_serve_not_a_worker);
  g_test_add_func ("/mpaio/serve/pool-gone", test_serve_pool_gone);

  return g_test_run ();
}
