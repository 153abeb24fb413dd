/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Feeds arbitrary packets, with up to two file descriptors, to the decoder
 * that the pool runs on everything a worker process sends, then reads the
 * decoded message the way the pool does. Nothing may crash, leak (memory,
 * mappings or file descriptors) or hang.
 *
 * An input is:
 *
 *   byte 0              how many fds come with the packet: 0, 1 or 2 (3 reads as 2)
 *   then, for each fd:
 *     byte              bits 0–2: what it is, 0–5 a sealable memfd, 6 a memfd
 *                       that cannot be sealed, 7 the read end of a pipe;
 *                       bits 3–6: the seals added to a memfd, F_SEAL_WRITE,
 *                       F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_SEAL
 *     2 bytes           the length of its content, little-endian (cut to
 *                       what is left of the input)
 *     that many bytes   its content
 *   the rest            the packet
 *
 * fuzz/make-seeds.c writes a valid message of each kind in this form. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gio/gio.h>

#include "mpaio-error.h"
#include "mpaio-util-private.h"
#include "mpaio-wire-private.h"

#define MAX_FDS 2

typedef struct
{
  const guint8 *data;
  gsize         size;
} Input;

static gboolean
input_take (Input         *input,
            gsize          size,
            const guint8 **out)
{
  if (input->size < size)
    return FALSE;

  *out = input->data;
  input->data += size;
  input->size -= size;
  return TRUE;
}

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         size)
{
  while (size > 0)
    {
      gssize n = write (fd, data, size);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      size -= n;
    }

  return TRUE;
}

/* Makes the fd that an input describes, or returns -1 when the input ends
 * too soon. */
static int
make_fd (Input *input)
{
  static const int seal_bits[] = { F_SEAL_WRITE, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_SEAL };
  mpaio_autofd fd = -1;
  const guint8 *header, *length, *content;
  guint kind;
  gsize size;
  int seals = 0;

  if (!input_take (input, 1, &header) || !input_take (input, 2, &length))
    return -1;

  size = MIN ((gsize) length[0] | (gsize) length[1] << 8, input->size);
  input_take (input, size, &content);
  kind = header[0] & 7;

  for (guint i = 0; i < G_N_ELEMENTS (seal_bits); i++)
    if (header[0] & (1 << (3 + i)))
      seals |= seal_bits[i];

  if (kind == 7)
    {
      int pipe_fds[2];

      /* A pipe holds 64 KiB, more than a content can be. */
      if (pipe2 (pipe_fds, O_CLOEXEC) < 0)
        abort ();
      fd = pipe_fds[0];
      if (!write_all (pipe_fds[1], content, size))
        abort ();
      close (pipe_fds[1]);
      return g_steal_fd (&fd);
    }

  fd = memfd_create ("fuzz", MFD_CLOEXEC | (kind == 6 ? 0 : MFD_ALLOW_SEALING));
  if (fd < 0 || !write_all (fd, content, size))
    abort ();

  /* A memfd made without MFD_ALLOW_SEALING refuses them. */
  if (seals != 0 && fcntl (fd, F_ADD_SEALS, seals) < 0 && kind != 6)
    abort ();

  return g_steal_fd (&fd);
}

static gboolean
fd_is_open (int fd)
{
  return fcntl (fd, F_GETFD) >= 0 || errno != EBADF;
}

/* Reads every part of a value, whatever its type. */
static void
read_deeply (GVariant *value)
{
  if (g_variant_is_container (value))
    {
      gsize n = g_variant_n_children (value);

      for (gsize i = 0; i < n; i++)
        {
          g_autoptr(GVariant) child = g_variant_get_child_value (value, i);

          read_deeply (child);
        }
    }
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) ||
           g_variant_is_of_type (value, G_VARIANT_TYPE_OBJECT_PATH) ||
           g_variant_is_of_type (value, G_VARIANT_TYPE_SIGNATURE))
    {
      g_assert_true (g_utf8_validate (g_variant_get_string (value, NULL), -1, NULL));
    }
  else
    {
      (void) g_variant_get_data (value);
    }
}

/* A parser either fills its struct or fails with a protocol error. */
static void
check_parsed (gboolean  ok,
              GError   *error)
{
  if (ok)
    g_assert_no_error (error);
  else
    g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL);
}

/* What the pool does with a worker's error: the same parser and the same
 * conversion to a GError as handle_error() in mpaio-dispatch.c. */
static void
read_error (GVariant *body)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) worker_error = NULL;
  MpaioWireError reply;
  gboolean ok = mpaio_wire_error_parse (body, &reply, &error);

  check_parsed (ok, error);
  if (!ok)
    return;

  worker_error = mpaio_wire_error_to_gerror (&reply);
  g_prefix_error (&worker_error, "FuzzWorker failed on chunk %" G_GUINT64_FORMAT " of binding %u: ",
                  reply.chunk, reply.binding_id);
}

/* What the pool does with results: the parser of handle_results() in
 * mpaio-dispatch.c, then every value as mpaio_run_deliver() reads it. */
static void
read_results (GVariant *body)
{
  g_autoptr(GError) error = NULL;
  g_auto(MpaioWireResult) result = { 0, NULL, 0, NULL };
  gboolean ok = mpaio_wire_result_parse (body, &result, &error);

  check_parsed (ok, error);
  if (!ok)
    return;

  if (result.n_results > 0)
    (void) result.ids[result.n_results - 1].chunk;

  for (gsize i = 0; i < result.n_results; i++)
    {
      g_autoptr(GVariant) value = mpaio_wire_result_dup_value (&result, i);

      /* The decoder checked the whole message: every part of it is in
       * normal form too. */
      g_assert_true (g_variant_is_normal_form (value));
      read_deeply (value);
    }
}

/* What a worker does with the pool's messages (see mpaio-serve.c): the
 * same parsers, then every part of what they return. */
static void
read_pool_message (MpaioMessage *message)
{
  g_autoptr(GError) error = NULL;
  g_auto(MpaioWireWorker) worker = { 0, NULL };
  MpaioWireMemory memory;
  MpaioWireBind bind;
  MpaioWireProcess process;
  guint64 memory_id;
  guint32 binding_id;
  gboolean ok = FALSE;

  switch (message->kind)
    {
    case MPAIO_MESSAGE_MEMORY:
      ok = mpaio_wire_memory_parse (message->body, &memory, &error);
      break;
    case MPAIO_MESSAGE_FORGET_MEMORY:
      ok = mpaio_wire_forget_memory_parse (message->body, &memory_id, &error);
      break;
    case MPAIO_MESSAGE_WORKER:
      if ((ok = mpaio_wire_worker_parse (message->body, &worker, &error)))
        read_deeply (worker.spec);
      break;
    case MPAIO_MESSAGE_BIND:
      if ((ok = mpaio_wire_bind_parse (message->body, &bind, &error)) && bind.dtype != NULL)
        g_assert_true (g_utf8_validate (bind.dtype, -1, NULL));
      break;
    case MPAIO_MESSAGE_UNBIND:
      ok = mpaio_wire_unbind_parse (message->body, &binding_id, &error);
      break;
    case MPAIO_MESSAGE_FORGET_WORKER:
      ok = mpaio_wire_forget_worker_parse (message->body, &binding_id, &error);
      break;
    case MPAIO_MESSAGE_PROCESS:
      if ((ok = mpaio_wire_process_parse (message->body, &process, &error)) && process.n_ranges > 0)
        g_assert_cmpuint (process.ranges[process.n_ranges - 1].start, <=,
                          process.ranges[process.n_ranges - 1].end);
      break;
    default:
      g_assert_not_reached ();
    }

  check_parsed (ok, error);
}

static void
read_hello (GVariant *body)
{
  g_autoptr(GError) error = NULL;
  MpaioWireHello hello;

  check_parsed (mpaio_wire_hello_parse (body, &hello, &error), error);
}

/* What the process pool's transport does with it. */
static void
read_not_serving (GVariant *body)
{
  g_autoptr(GError) error = NULL;

  check_parsed (mpaio_wire_not_serving_parse (body, &error), error);
}

static void
read_message (MpaioMessage *message)
{
  g_assert_true (message->kind > 0 && message->kind < MPAIO_MESSAGE_LAST);
  g_assert_nonnull (message->body);
  g_assert_true (g_variant_is_of_type (message->body, mpaio_message_body_type (message->kind)));
  g_assert_true (g_variant_is_normal_form (message->body));

  /* Only a memory message keeps its fd; a large one is unwrapped. */
  g_assert_true ((message->fd >= 0) == (message->kind == MPAIO_MESSAGE_MEMORY));
  g_assert_cmpint (message->kind, !=, MPAIO_MESSAGE_LARGE);

  switch (message->kind)
    {
    case MPAIO_MESSAGE_HELLO:
      read_hello (message->body);
      break;

    case MPAIO_MESSAGE_RESULT:
      read_results (message->body);
      break;

    case MPAIO_MESSAGE_ERROR:
      read_error (message->body);
      break;

    case MPAIO_MESSAGE_NOT_SERVING:
      read_not_serving (message->body);
      break;

    case MPAIO_MESSAGE_MEMORY:
    case MPAIO_MESSAGE_FORGET_MEMORY:
    case MPAIO_MESSAGE_WORKER:
    case MPAIO_MESSAGE_BIND:
    case MPAIO_MESSAGE_UNBIND:
    case MPAIO_MESSAGE_PROCESS:
    case MPAIO_MESSAGE_FORGET_WORKER:
      read_pool_message (message);
      break;

    case MPAIO_MESSAGE_LARGE:
    case MPAIO_MESSAGE_LAST:
    default:
      g_assert_not_reached ();
    }
}

int LLVMFuzzerInitialize (int    *argc,
                          char ***argv);
int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  /* GLib 2.74 reads G_SLICE while it loads; with its own allocator, a
   * leaked GVariant or GBytes would hide from LeakSanitizer. */
  if (g_strcmp0 (g_getenv ("G_SLICE"), "always-malloc") != 0)
    {
      g_setenv ("G_SLICE", "always-malloc", TRUE);
      execv ("/proc/self/exe", *argv);
      abort ();
    }

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) packet = NULL;
  Input input = { data, size };
  MpaioMessage message;
  const guint8 *header;
  int fds[MAX_FDS];
  guint n_fds;

  if (!input_take (&input, 1, &header))
    return 0;

  n_fds = MIN (header[0] & 3, MAX_FDS);
  for (guint i = 0; i < n_fds; i++)
    if ((fds[i] = make_fd (&input)) < 0)
      {
        for (guint j = 0; j < i; j++)
          close (fds[j]);
        return 0;
      }

  packet = g_bytes_new (input.data, input.size);

  if (mpaio_wire_decode (packet, fds, n_fds, &message, &error))
    {
      g_assert_no_error (error);
      read_message (&message);
    }
  else
    {
      g_assert_nonnull (error);
      g_assert_true (g_error_matches (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL) ||
                     error->domain == G_IO_ERROR);
      g_assert_null (message.body);
      g_assert_cmpint (message.fd, ==, -1);
    }

  /* Every fd is consumed: kept in the message, or closed. */
  for (guint i = 0; i < n_fds; i++)
    if (fds[i] != message.fd)
      g_assert_false (fd_is_open (fds[i]));

  mpaio_message_clear (&message);
  g_assert_cmpint (message.fd, ==, -1);

  return 0;
}
