/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A worker program that speaks the wire protocol by hand and breaks it on
 * purpose, for test-hostile.c. A pool runs it as
 *
 *   mpaio-hostile-worker --mode MODE [--sync-fifo PATH]
 *
 * It sums int64 chunks like TestSumWorker and answers as mpaio_serve()
 * would in the modes "polite" and "polite-large"; every other mode makes
 * one mistake, at its HELLO or at its first reply, and otherwise behaves.
 * Replies that a pool must refuse carry values that no chunk of the test's
 * array sums to, so that one delivered by mistake shows.
 *
 * With --sync-fifo, the worker opens PATH for writing when it starts and
 * writes "S" there, then "H" once its HELLO (and whatever its mode sends
 * with it) is on the channel, so that a test can know that before it lets
 * its pool read anything; "error-flood" writes "F" once all its errors
 * are sent.
 *
 * It writes nothing to its standard output, which is the test's. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#include "mpaio-serve-private.h"
#include "mpaio-util-private.h"
#include "mpaio-wire-private.h"

#define LARGE_SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)

typedef struct
{
  const guint8 *data;
  gsize         size;
} Mapping;

typedef struct
{
  guint64 memory_id;
  guint64 offset;
  guint64 element_size;
} Binding;

typedef struct _Hostile Hostile;

/* One batch of chunks, as a PROCESS message gives them. */
typedef struct
{
  guint32               binding_id;
  const MpaioWireRange *ranges;
  gsize                 n_chunks;
} Batch;

typedef struct
{
  const char *name;
  void      (*hello) (Hostile *self);
  void      (*reply) (Hostile *self, const Batch *batch);
} Mode;

struct _Hostile
{
  const Mode *mode;
  int         fd;
  int         sync_fd;
  guint8     *buffer;
  GHashTable *memories;             /* id → Mapping */
  GHashTable *bindings;             /* id → Binding */
  gboolean    misbehaved;
};

/* Sending */

/* Gives up, with the errno that explains why, if any. */
static G_NORETURN void
die (const char *what,
     int         errsv)
{
  g_printerr ("mpaio-hostile-worker %d: %s%s%s\n", (int) getpid (), what,
              errsv ? ": " : "", errsv ? g_strerror (errsv) : "");
  exit (EXIT_FAILURE);
}

/* Sends one packet with any number of fds, blocking while the pool is
 * full. A pool that gave up on us closes the channel: then we just go. */
static void
send_packet (Hostile       *self,
             gconstpointer  data,
             gsize          size,
             const int     *fds,
             guint          n_fds)
{
  g_autofree char *control = NULL;
  struct iovec iov = { (gpointer) data, size };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

  if (n_fds > 0)
    {
      struct cmsghdr *cmsg;

      msg.msg_controllen = CMSG_SPACE (n_fds * sizeof (int));
      msg.msg_control = control = g_malloc0 (msg.msg_controllen);
      cmsg = CMSG_FIRSTHDR (&msg);
      cmsg->cmsg_level = SOL_SOCKET;
      cmsg->cmsg_type = SCM_RIGHTS;
      cmsg->cmsg_len = CMSG_LEN (n_fds * sizeof (int));
      memcpy (CMSG_DATA (cmsg), fds, n_fds * sizeof (int));
    }

  while (sendmsg (self->fd, &msg, MSG_NOSIGNAL) < 0)
    {
      if (errno == EINTR)
        continue;
      if (errno == EPIPE || errno == ECONNRESET)
        exit (EXIT_SUCCESS);
      die ("Could not send a packet", errno);
    }
}

static void
send_bytes (Hostile *self,
            GBytes  *packet,
            int      fd)
{
  gsize size;
  gconstpointer data = g_bytes_get_data (packet, &size);

  send_packet (self, data, size, &fd, fd >= 0 ? 1 : 0);
}

/* A message's bytes, whatever its body: no check, no LARGE. */
static GBytes *
serialize (MpaioMessageKind  kind,
           GVariant         *body)
{
  return mpaio_wire_pack (kind, body);
}

/* Sends a message the way mpaio_serve() does. */
static void
send_message (Hostile          *self,
              MpaioMessageKind  kind,
              GVariant         *body)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) owned = g_variant_ref_sink (body);
  g_autoptr(GBytes) packet = NULL;
  mpaio_autofd large_fd = -1;

  if (!mpaio_wire_encode (kind, owned, &packet, &large_fd, &error))
    die (error->message, 0);

  send_bytes (self, packet, large_fd);
}

static int
memfd_holding (GBytes   *bytes,
               gboolean  sealed)
{
  mpaio_autofd fd = memfd_create ("mpaio-hostile", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  gsize size;
  gconstpointer data = g_bytes_get_data (bytes, &size);

  if (fd < 0 || write (fd, data, size) != (gssize) size)
    die ("Could not fill a memfd", errno);
  if (sealed && fcntl (fd, F_ADD_SEALS, LARGE_SEALS) < 0)
    die ("Could not seal a memfd", errno);

  return g_steal_fd (&fd);
}

/* Sends @message in a memfd, announced as @announced bytes. */
static void
send_large (Hostile  *self,
            GBytes   *message,
            gboolean  sealed,
            guint64   announced)
{
  g_autoptr(GBytes) packet = serialize (MPAIO_MESSAGE_LARGE, mpaio_wire_large_build (announced));
  mpaio_autofd fd = memfd_holding (message, sealed);

  send_bytes (self, packet, fd);
}

static void
send_garbage (Hostile *self)
{
  /* Fixed, so that a failure can be reproduced. */
  g_autoptr(GRand) rand = g_rand_new_with_seed (0x6d706169);
  guint8 bytes[97];

  for (gsize i = 0; i < sizeof bytes; i++)
    bytes[i] = g_rand_int_range (rand, 0, 256);

  send_packet (self, bytes, sizeof bytes, NULL, 0);
}

static void
sync_write (Hostile    *self,
            const char *mark)
{
  if (self->sync_fd >= 0 && write (self->sync_fd, mark, 1) != 1)
    die ("Could not write to the sync FIFO", errno);
}

/* The polite protocol */

static void
polite_hello (Hostile *self)
{
  send_message (self, MPAIO_MESSAGE_HELLO,
                mpaio_wire_hello_build (&(MpaioWireHello) { MPAIO_PROTOCOL_VERSION, getpid () }));
}

static gint64
sum_chunk (Hostile *self,
           guint32  binding_id,
           guint64  start,
           guint64  end)
{
  Binding *binding = g_hash_table_lookup (self->bindings, GUINT_TO_POINTER (binding_id));
  Mapping *mapping;
  const gint64 *values;
  gint64 sum = 0;

  if (binding == NULL || binding->element_size != sizeof (gint64) ||
      !(mapping = g_hash_table_lookup (self->memories, GSIZE_TO_POINTER (binding->memory_id))) ||
      start > end || binding->offset > mapping->size ||
      end > (mapping->size - binding->offset) / sizeof (gint64))
    die ("The pool sent a chunk this worker cannot sum", 0);

  values = (const gint64 *) (gconstpointer) (mapping->data + binding->offset);
  for (guint64 i = start; i < end; i++)
    sum += values[i];

  return sum;
}

/* A value that no chunk of the test's array (1, 2, 3, …) sums to. */
static gint64
wrong_value (guint64 chunk)
{
  return -1000000 - (gint64) chunk;
}

static GVariant *
result_body (Hostile     *self,
             const Batch *batch,
             gboolean     reversed)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (MpaioResultId));
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

  for (gsize n = 0; n < batch->n_chunks; n++)
    {
      gsize i = reversed ? batch->n_chunks - 1 - n : n;
      const MpaioWireRange *range = &batch->ranges[i];
      MpaioResultId id = { batch->binding_id, 0, range->chunk };

      g_array_append_val (ids, id);
      g_ptr_array_add (values, g_variant_ref_sink (g_variant_new_int64 (sum_chunk (self, batch->binding_id,
                                                                                 range->start,
                                                                                 range->end))));
    }

  return mpaio_wire_result_build (1, (const MpaioResultId *) ids->data,
                                  (GVariant * const *) values->pdata, values->len);
}

static void
polite_reply (Hostile     *self,
              const Batch *batch)
{
  send_message (self, MPAIO_MESSAGE_RESULT, result_body (self, batch, FALSE));
}

static GBytes *
polite_result_bytes (Hostile     *self,
                     const Batch *batch)
{
  return serialize (MPAIO_MESSAGE_RESULT, result_body (self, batch, FALSE));
}

/* A RESULT with one entry. */
static void
send_one_result (Hostile  *self,
                 guint32   binding_id,
                 guint64   chunk,
                 GVariant *value)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (value);
  MpaioResultId id = { binding_id, 0, chunk };

  send_message (self, MPAIO_MESSAGE_RESULT, mpaio_wire_result_build (1, &id, &owned, 1));
}

/* Modes, at the HELLO */

static void
garbage_hello (Hostile *self)
{
  send_garbage (self);
}

static void
bad_version_hello (Hostile *self)
{
  send_message (self, MPAIO_MESSAGE_HELLO,
                mpaio_wire_hello_build (&(MpaioWireHello) { MPAIO_PROTOCOL_VERSION + 1, getpid () }));
}

static void
exit_before_hello (Hostile *self)
{
  g_printerr ("mpaio-hostile-worker: leaving before saying hello\n");
  exit (7);
}

static void
hello_twice_at_once (Hostile *self)
{
  polite_hello (self);
  polite_hello (self);
}

/* Modes, at the first reply */

static void
polite_large_reply (Hostile     *self,
                    const Batch *batch)
{
  g_autoptr(GBytes) message = polite_result_bytes (self, batch);

  send_large (self, message, TRUE, g_bytes_get_size (message));
}

static void
garbage_reply (Hostile     *self,
               const Batch *batch)
{
  send_garbage (self);
}

static void
empty_packet_reply (Hostile     *self,
                    const Batch *batch)
{
  send_packet (self, "", 0, NULL, 0);
}

/* A result too large for one packet, sent inline all the same. */
static void
oversized_reply (Hostile     *self,
                 const Batch *batch)
{
  g_autofree char *text = g_strnfill (MPAIO_WIRE_MAX_INLINE, 'x');
  g_autoptr(GVariant) value = g_variant_ref_sink (g_variant_new_string (text));
  MpaioResultId id = { batch->binding_id, 0, batch->ranges[0].chunk };
  g_autoptr(GBytes) packet =
    serialize (MPAIO_MESSAGE_RESULT, mpaio_wire_result_build (1, &id, &value, 1));

  g_assert (g_bytes_get_size (packet) > MPAIO_WIRE_MAX_INLINE);
  send_bytes (self, packet, -1);
}

/* The binding id as a "t": a plausible mistake. */
static void
wrong_type_reply (Hostile     *self,
                  const Batch *batch)
{
  g_autoptr(GBytes) packet =
    serialize (MPAIO_MESSAGE_RESULT,
               g_variant_new_parsed ("(@t 1, [(%t, %t)], [<%x>])", (guint64) batch->binding_id,
                                     batch->ranges[0].chunk, wrong_value (batch->ranges[0].chunk)));

  send_bytes (self, packet, -1);
}

static void
truncated_reply (Hostile     *self,
                 const Batch *batch)
{
  g_autoptr(GBytes) packet = polite_result_bytes (self, batch);
  gsize size;
  gconstpointer data = g_bytes_get_data (packet, &size);

  send_packet (self, data, size / 2, NULL, 0);
}

static void
unexpected_fd_reply (Hostile     *self,
                     const Batch *batch)
{
  g_autoptr(GBytes) packet = polite_result_bytes (self, batch);
  mpaio_autofd fd = memfd_create ("mpaio-hostile-extra", MFD_CLOEXEC);

  send_bytes (self, packet, fd);
}

static void
send_with_fds (Hostile *self,
               GBytes  *packet,
               guint    n_fds)
{
  g_autofree int *fds = g_new (int, n_fds);
  gsize size;
  gconstpointer data = g_bytes_get_data (packet, &size);

  for (guint i = 0; i < n_fds; i++)
    if ((fds[i] = memfd_create ("mpaio-hostile-extra", MFD_CLOEXEC)) < 0)
      die ("Could not make a memfd", errno);

  send_packet (self, data, size, fds, n_fds);

  for (guint i = 0; i < n_fds; i++)
    close (fds[i]);
}

/* A large message, with another fd next to its memfd. */
static void
many_fds_reply (Hostile     *self,
                const Batch *batch)
{
  g_autoptr(GBytes) message = polite_result_bytes (self, batch);
  g_autoptr(GBytes) packet =
    serialize (MPAIO_MESSAGE_LARGE, mpaio_wire_large_build (g_bytes_get_size (message)));
  int fds[3] = { memfd_holding (message, TRUE), -1, -1 };

  fds[1] = memfd_create ("mpaio-hostile-extra", MFD_CLOEXEC);
  fds[2] = memfd_create ("mpaio-hostile-extra", MFD_CLOEXEC);
  send_packet (self, g_bytes_get_data (packet, NULL), g_bytes_get_size (packet), fds, 3);

  for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
    close (fds[i]);
}

/* More fds than the pool makes room for. */
static void
too_many_fds_reply (Hostile     *self,
                    const Batch *batch)
{
  g_autoptr(GBytes) packet = polite_result_bytes (self, batch);

  send_with_fds (self, packet, 16);
}

static void
unasked_binding_reply (Hostile     *self,
                       const Batch *batch)
{
  send_one_result (self, batch->binding_id + 1000, batch->ranges[0].chunk,
                   g_variant_new_int64 (wrong_value (batch->ranges[0].chunk)));
}

static void
unasked_chunk_reply (Hostile     *self,
                     const Batch *batch)
{
  guint64 chunk = batch->ranges[batch->n_chunks - 1].chunk + 1000;

  send_one_result (self, batch->binding_id, chunk, g_variant_new_int64 (wrong_value (chunk)));
}

/* 200 MiB for a chunk never sent: the pool validates all of it before it
 * can tell. */
static void
huge_unasked_reply (Hostile     *self,
                    const Batch *batch)
{
  gsize size = (g_getenv ("MPAIO_TEST_VALGRIND") ? 8 : 200) * 1024 * 1024;
  GBytes *bytes = g_bytes_new_take (g_malloc0 (size), size);

  send_one_result (self, batch->binding_id, batch->ranges[batch->n_chunks - 1].chunk + 1000,
                   g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE));
  g_bytes_unref (bytes);
}

/* The right sum of the first chunk, then a reply for a chunk never sent,
 * in one message. */
static void
good_then_unasked_reply (Hostile     *self,
                         const Batch *batch)
{
  guint64 unasked = batch->ranges[batch->n_chunks - 1].chunk + 1000;

  MpaioResultId ids[] = { { batch->binding_id, 0, batch->ranges[0].chunk },
                          { batch->binding_id, 0, unasked } };
  g_autoptr(GVariant) good = g_variant_ref_sink (g_variant_new_int64 (sum_chunk (self, batch->binding_id,
                                                                                batch->ranges[0].start,
                                                                                batch->ranges[0].end)));
  g_autoptr(GVariant) bad = g_variant_ref_sink (g_variant_new_int64 (wrong_value (unasked)));
  GVariant *values[] = { good, bad };

  send_message (self, MPAIO_MESSAGE_RESULT, mpaio_wire_result_build (1, ids, values, 2));
}

/* The right sums, for chunks the pool did send, in the wrong order. */
static void
out_of_order_reply (Hostile     *self,
                    const Batch *batch)
{
  g_assert (batch->n_chunks >= 2);
  send_message (self, MPAIO_MESSAGE_RESULT, result_body (self, batch, TRUE));
}

static void
hello_twice_reply (Hostile     *self,
                   const Batch *batch)
{
  polite_hello (self);
}

static void
large_unsealed_reply (Hostile     *self,
                      const Batch *batch)
{
  g_autoptr(GBytes) message = polite_result_bytes (self, batch);

  send_large (self, message, FALSE, g_bytes_get_size (message));
}

static void
large_lie_reply (Hostile     *self,
                 const Batch *batch)
{
  g_autoptr(GBytes) message = polite_result_bytes (self, batch);

  send_large (self, message, TRUE, g_bytes_get_size (message) + 8);
}

/* Sends the pool its own batch back. */
static void
pool_only_kind_reply (Hostile     *self,
                      const Batch *batch)
{
  send_message (self, MPAIO_MESSAGE_PROCESS,
                mpaio_wire_process_build (&(MpaioWireProcess) {
                  batch->binding_id, batch->ranges, batch->n_chunks
                }));
}

/* A well-formed MEMORY message (all zeros, whatever its body type is now),
 * with the memfd it needs. */
static void
pool_only_memory_reply (Hostile     *self,
                        const Batch *batch)
{
  g_autoptr(GVariant) nothing =
    g_variant_ref_sink (g_variant_new_from_data (mpaio_message_body_type (MPAIO_MESSAGE_MEMORY),
                                                 "", 0, FALSE, NULL, NULL));
  g_autoptr(GBytes) packet = serialize (MPAIO_MESSAGE_MEMORY, g_variant_get_normal_form (nothing));
  mpaio_autofd fd = memfd_create ("mpaio-hostile-memory", MFD_CLOEXEC);

  if (fd < 0 || ftruncate (fd, 4096) < 0)
    die ("Could not make a memfd", errno);
  send_bytes (self, packet, fd);
}

static void
send_error (Hostile    *self,
            guint32     binding_id,
            guint64     chunk,
            const char *domain,
            int         code,
            const char *text)
{
  send_message (self, MPAIO_MESSAGE_ERROR,
                mpaio_wire_error_build (&(MpaioWireError) { binding_id, chunk, domain, code, text }));
}

/* Not the name of a quark at all. */
static void
error_unknown_domain_reply (Hostile     *self,
                            const Batch *batch)
{
  send_error (self, batch->binding_id, batch->ranges[0].chunk, "mpaio hostile domain", 42,
              "a made-up error");
}

/* The name of a quark the caller may not have made yet. */
static void
error_new_domain_reply (Hostile     *self,
                        const Batch *batch)
{
  send_error (self, batch->binding_id, batch->ranges[0].chunk, "mpaio-hostile-new-error-quark", 42,
              "a new error");
}

/* A new domain for every chunk it holds. */
static void
error_flood_reply (Hostile     *self,
                   const Batch *batch)
{
  for (gsize i = 0; i < batch->n_chunks; i++)
    {
      guint64 chunk = batch->ranges[i].chunk;
      g_autofree char *domain = g_strdup_printf ("mpaio-hostile-flood-%" G_GUINT64_FORMAT "-quark",
                                                 chunk);

      send_error (self, batch->binding_id, chunk, domain, 1, "one of many");
    }

  sync_write (self, "F");
}

static void
unasked_error_reply (Hostile     *self,
                     const Batch *batch)
{
  send_error (self, batch->binding_id, batch->ranges[0].chunk + 1000, "g-io-error-quark",
              G_IO_ERROR_FAILED, "an error nobody asked for");
}

static void
wrong_value_type_reply (Hostile     *self,
                        const Batch *batch)
{
  send_one_result (self, batch->binding_id, batch->ranges[0].chunk, g_variant_new_string ("-1000000"));
}

static const Mode modes[] = {
  { "polite", polite_hello, polite_reply },
  { "polite-large", polite_hello, polite_large_reply },
  { "garbage", garbage_hello, polite_reply },
  { "garbage-result", polite_hello, garbage_reply },
  { "empty-packet", polite_hello, empty_packet_reply },
  { "oversized", polite_hello, oversized_reply },
  { "wrong-type", polite_hello, wrong_type_reply },
  { "truncated", polite_hello, truncated_reply },
  { "unexpected-fd", polite_hello, unexpected_fd_reply },
  { "many-fds", polite_hello, many_fds_reply },
  { "too-many-fds", polite_hello, too_many_fds_reply },
  { "unasked-binding", polite_hello, unasked_binding_reply },
  { "unasked-chunk", polite_hello, unasked_chunk_reply },
  { "huge-unasked", polite_hello, huge_unasked_reply },
  { "out-of-order", polite_hello, out_of_order_reply },
  { "good-then-unasked", polite_hello, good_then_unasked_reply },
  { "unasked-error", polite_hello, unasked_error_reply },
  { "hello-twice", polite_hello, hello_twice_reply },
  { "hello-twice-at-once", hello_twice_at_once, polite_reply },
  { "bad-version", bad_version_hello, polite_reply },
  { "exit-before-hello", exit_before_hello, polite_reply },
  { "large-unsealed", polite_hello, large_unsealed_reply },
  { "large-lie", polite_hello, large_lie_reply },
  { "pool-only-kind", polite_hello, pool_only_kind_reply },
  { "pool-only-memory", polite_hello, pool_only_memory_reply },
  { "error-unknown-domain", polite_hello, error_unknown_domain_reply },
  { "error-new-domain", polite_hello, error_new_domain_reply },
  { "error-flood", polite_hello, error_flood_reply },
  { "wrong-value-type", polite_hello, wrong_value_type_reply },
};

/* Receiving */

static void
mapping_free (gpointer data)
{
  Mapping *mapping = data;

  if (mapping->size > 0)
    munmap ((gpointer) mapping->data, mapping->size);
  g_free (mapping);
}

static void
add_memory (Hostile      *self,
            MpaioMessage *message)
{
  Mapping *mapping = g_new0 (Mapping, 1);
  MpaioWireMemory memory;

  if (!mpaio_wire_memory_parse (message->body, &memory, NULL))
    die ("The pool sent a bad MEMORY message", 0);
  mapping->size = memory.size;
  if (memory.size > 0)
    {
      gpointer data = mmap (NULL, memory.size, PROT_READ, MAP_SHARED, message->fd, 0);

      if (data == MAP_FAILED)
        die ("Could not map a memory", errno);
      mapping->data = data;
    }

  g_hash_table_replace (self->memories, GSIZE_TO_POINTER (memory.id), mapping);
}

static void
add_binding (Hostile  *self,
             GVariant *body)
{
  Binding *binding;
  MpaioWireBind bind;

  if (!mpaio_wire_bind_parse (body, &bind, NULL))
    die ("The pool sent a bad BIND message", 0);

  /* What a sum needs. */
  binding = g_new0 (Binding, 1);
  binding->memory_id = bind.memory_id;
  binding->offset = bind.offset;
  binding->element_size = bind.element_size;
  g_hash_table_replace (self->bindings, GUINT_TO_POINTER (bind.binding_id), binding);
}

static void
process (Hostile  *self,
         GVariant *body)
{
  MpaioWireProcess parsed;
  Batch batch;

  if (!mpaio_wire_process_parse (body, &parsed, NULL))
    die ("The pool sent a bad PROCESS message", 0);
  batch = (Batch) { parsed.binding_id, parsed.ranges, parsed.n_ranges };
  if (batch.n_chunks == 0)
    return;

  /* One mistake, then good manners. */
  if (self->misbehaved)
    polite_reply (self, &batch);
  else
    self->mode->reply (self, &batch);
  self->misbehaved = TRUE;
}

static void
handle (Hostile      *self,
        MpaioMessage *message)
{
  guint64 id64;
  guint32 id;

  switch (message->kind)
    {
    case MPAIO_MESSAGE_MEMORY:
      add_memory (self, message);
      break;

    case MPAIO_MESSAGE_FORGET_MEMORY:
      if (!mpaio_wire_forget_memory_parse (message->body, &id64, NULL))
        die ("The pool sent a bad FORGET_MEMORY message", 0);
      g_hash_table_remove (self->memories, GSIZE_TO_POINTER (id64));
      break;

    case MPAIO_MESSAGE_WORKER:
    case MPAIO_MESSAGE_FORGET_WORKER:
      break;  /* it only sums */

    case MPAIO_MESSAGE_BIND:
      add_binding (self, message->body);
      break;

    case MPAIO_MESSAGE_UNBIND:
      if (!mpaio_wire_unbind_parse (message->body, &id, NULL))
        die ("The pool sent a bad UNBIND message", 0);
      g_hash_table_remove (self->bindings, GUINT_TO_POINTER (id));
      break;

    case MPAIO_MESSAGE_PROCESS:
      process (self, message->body);
      break;

    case MPAIO_MESSAGE_HELLO:
    case MPAIO_MESSAGE_RESULT:
    case MPAIO_MESSAGE_ERROR:
    case MPAIO_MESSAGE_LARGE:
    case MPAIO_MESSAGE_NOT_SERVING:
    case MPAIO_MESSAGE_LAST:
    default:
      die ("The pool sent a message that only workers send", 0);
    }
}

static const Mode *
find_mode (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (modes); i++)
    if (g_strcmp0 (modes[i].name, name) == 0)
      return &modes[i];

  return NULL;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *mode_name = NULL;
  g_autofree char *sync_fifo = NULL;
  g_autofree guint8 *buffer = g_malloc (MPAIO_WIRE_MAX_INLINE);
  const char *channel = g_getenv (MPAIO_WORKER_ENV);
  Hostile self = { .fd = -1, .sync_fd = -1, .buffer = buffer };
  GOptionEntry entries[] = {
    { "mode", 0, 0, G_OPTION_ARG_STRING, &mode_name, "How to misbehave", "MODE" },
    { "sync-fifo", 0, 0, G_OPTION_ARG_FILENAME, &sync_fifo, "Say when the HELLO is sent", "PATH" },
    { NULL }
  };
  guint64 fd;

  context = g_option_context_new ("- break the Mpaio wire protocol on purpose");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s: %s\n", argv[0], error->message);
      return 2;
    }

  if (!(self.mode = find_mode (mode_name)))
    {
      g_printerr ("%s: no mode “%s”\n", argv[0], mode_name ? mode_name : "");
      return 2;
    }

  if (channel == NULL || !g_ascii_string_to_unsigned (channel, 10, 0, G_MAXINT, &fd, NULL))
    {
      g_printerr ("%s: run by an Mpaio process pool only\n", argv[0]);
      return 2;
    }
  self.fd = fd;

  /* Nonblocking, so that a test without a reader any more cannot hang us. */
  if (sync_fifo != NULL && (self.sync_fd = open (sync_fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
    die ("Could not open the sync FIFO", errno);

  self.memories = g_hash_table_new_full (NULL, NULL, NULL, mapping_free);
  self.bindings = g_hash_table_new_full (NULL, NULL, NULL, g_free);

  sync_write (&self, "S");
  self.mode->hello (&self);
  sync_write (&self, "H");

  for (;;)
    {
      MpaioMessage message = { .fd = -1 };
      MpaioWireStatus status;

      status = mpaio_wire_receive (self.fd, self.buffer, TRUE, &message, &error);
      if (status == MPAIO_WIRE_CLOSED)
        break;
      if (status != MPAIO_WIRE_MESSAGE)
        die (error ? error->message : "Could not read from the pool", 0);

      handle (&self, &message);
      mpaio_message_clear (&message);
    }

  g_hash_table_unref (self.bindings);
  g_hash_table_unref (self.memories);
  mpaio_clear_fd (&self.sync_fd);
  mpaio_clear_fd (&self.fd);
  return EXIT_SUCCESS;
}
