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

/* What the pool does with a worker's error: see error_from_worker() in
 * mpaio-process-pool.c. */
static void
read_error (GVariant *body)
{
  g_autoptr(GError) error = NULL;
  const char *domain, *text;
  guint32 binding_id;
  guint64 chunk;
  GQuark quark;
  int code;

  g_variant_get (body, "(ut&si&s)", &binding_id, &chunk, &domain, &code, &text);
  quark = g_quark_try_string (domain);
  if (quark == 0)
    error = g_error_new (MPAIO_ERROR, MPAIO_ERROR_WORKER_FAILED, "%s (%s %d)", text, domain, code);
  else
    error = g_error_new_literal (quark, code, text);

  g_prefix_error (&error, "FuzzWorker failed on chunk %" G_GUINT64_FORMAT " of binding %u: ",
                  chunk, binding_id);
}

/* What the pool does with results: see worker_handle_results() there and
 * mpaio_run_deliver() in mpaio-run.c. */
static void
read_results (GVariant *body)
{
  g_autoptr(GVariant) id_array = NULL;
  g_autoptr(GVariant) values = NULL;
  const guint8 *ids;
  guint64 busy_usec;
  gsize n_ids;

  g_variant_get (body, "(t@a(ut)@av)", &busy_usec, &id_array, &values);
  ids = g_variant_get_fixed_array (id_array, &n_ids, 16);
  if (n_ids > 0)
    (void) ids[16 * n_ids - 1];

  for (gsize i = 0; i < g_variant_n_children (values); i++)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (values, i);
      g_autoptr(GVariant) value = g_variant_get_variant (boxed);

      /* The decoder checked the whole message: every part of it is in
       * normal form too. */
      g_assert_true (g_variant_is_normal_form (value));

      if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
        (void) g_variant_get_int64 (value);
      else if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        (void) g_variant_get_string (value, NULL);
      (void) g_variant_get_size (value);
    }
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

/* What a worker does with the pool's messages (see mpaio-serve.c): read
 * them through, and view the chunks of a batch as a fixed array. */
static void
read_pool_message (MpaioMessage *message)
{
  read_deeply (message->body);

  if (message->kind == MPAIO_MESSAGE_PROCESS)
    {
      g_autoptr(GVariant) entries = g_variant_get_child_value (message->body, 1);
      gsize n;

      (void) g_variant_get_fixed_array (entries, &n, sizeof (guint64) * 3);
    }
}

static void
read_message (MpaioMessage *message)
{
  guint32 version;
  guint64 pid;

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
      g_variant_get (message->body, "(ut)", &version, &pid);
      break;

    case MPAIO_MESSAGE_RESULT:
      read_results (message->body);
      break;

    case MPAIO_MESSAGE_ERROR:
      read_error (message->body);
      break;

    case MPAIO_MESSAGE_NOT_SERVING:
      break;

    case MPAIO_MESSAGE_MEMORY:
    case MPAIO_MESSAGE_FORGET_MEMORY:
    case MPAIO_MESSAGE_WORKER:
    case MPAIO_MESSAGE_BIND:
    case MPAIO_MESSAGE_UNBIND:
    case MPAIO_MESSAGE_PROCESS:
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
