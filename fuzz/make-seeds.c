/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Writes the seed corpus of fuzz-wire-decode: one valid message of each
 * kind, in the fuzz target's input form (see fuzz-wire-decode.c), each
 * checked by decoding it back. Run it from the build directory:
 *
 *   fuzz/make-seeds ../fuzz/corpus
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <gio/gio.h>

#include "mpaio-error.h"
#include "mpaio-wire-private.h"

/* The fd header byte of the input form. */
#define FD_MEMFD 0
#define FD_PIPE 7
#define FD_SEALED ((1 << 3) | (1 << 4) | (1 << 5))  /* write, shrink, grow */

typedef struct
{
  const char       *name;
  MpaioMessageKind  kind;
  const char       *body;           /* GVariant text format */
  gboolean          large;          /* wrap it in a LARGE message */
  int               fd_kind;        /* -1 for none */
} Seed;

static const Seed seeds[] = {
  { "hello", MPAIO_MESSAGE_HELLO, "(@u 1, @t 4242)", FALSE, -1 },
  { "result-int64", MPAIO_MESSAGE_RESULT,
    "(@t 120, [(@u 1, @t 0), (1, 1)], [<@x 55>, <@x 155>])", FALSE, -1 },
  { "result-mixed", MPAIO_MESSAGE_RESULT,
    "(@t 7, [(@u 2, @t 9), (2, 10), (2, 11)], [<'foo_1foo_2'>, <(@d 1.5, [@y 1, 2])>, <@a{sv} {}>])",
    FALSE, -1 },
  { "result-empty", MPAIO_MESSAGE_RESULT, "(@t 0, @a(ut) [], @av [])", FALSE, -1 },
  { "error", MPAIO_MESSAGE_ERROR, "(@u 1, @t 4, 'g-io-error-quark', 13, 'chunk 4 is bad')", FALSE, -1 },
  { "error-unknown-domain", MPAIO_MESSAGE_ERROR,
    "(@u 3, @t 0, 'made-up-error-quark', -1, 'no such domain')", FALSE, -1 },
  { "memory", MPAIO_MESSAGE_MEMORY, "(@t 1, @t 80, false)", FALSE, FD_MEMFD },
  { "forget-memory", MPAIO_MESSAGE_FORGET_MEMORY, "(@t 1,)", FALSE, -1 },
  { "worker", MPAIO_MESSAGE_WORKER,
    "(@u 1, ('TestSumWorker', {'fail-on-chunk': <@x 4>, 'crash-once-file': <'/tmp/x'>}))", FALSE, -1 },
  { "bind", MPAIO_MESSAGE_BIND, "(@u 1, @u 1, @t 1, @t 0, @t 8, '<i8', @t 2, @t 8)", FALSE, -1 },
  { "unbind", MPAIO_MESSAGE_UNBIND, "(@u 1,)", FALSE, -1 },
  { "forget-worker", MPAIO_MESSAGE_FORGET_WORKER, "(@u 1,)", FALSE, -1 },
  { "process", MPAIO_MESSAGE_PROCESS, "(@u 1, [(@t 0, @t 0, @t 10), (1, 10, 20)])", FALSE, -1 },
  { "large-result", MPAIO_MESSAGE_RESULT, "(@t 3, [(@u 1, @t 2)], [<@x -7>])", TRUE, FD_MEMFD | FD_SEALED },
  { "large-error", MPAIO_MESSAGE_ERROR, "(@u 1, @t 2, 'mpaio-error-quark', 8, 'wrong')", TRUE,
    FD_MEMFD | FD_SEALED },
  { "result-with-pipe", MPAIO_MESSAGE_RESULT, "(@t 3, [(@u 1, @t 2)], [<@x -7>])", FALSE, FD_PIPE },
};

static GBytes *
serialize (MpaioMessageKind  kind,
           GVariant         *body)
{
  return mpaio_wire_pack (kind, body);
}

static void
append_fd (GByteArray *input,
           guint8      fd_kind,
           GBytes     *content)
{
  gsize size = content ? g_bytes_get_size (content) : 0;
  guint8 length[2] = { size & 0xff, size >> 8 };

  g_assert (size <= G_MAXUINT16);
  g_byte_array_append (input, &fd_kind, 1);
  g_byte_array_append (input, length, 2);
  if (content != NULL)
    g_byte_array_append (input, g_bytes_get_data (content, NULL), size);
}

/* Decodes @packet as the pool would, with a memfd if @with_fd: holding
 * @content and sealed, or empty. */
static void
check_decodes (GBytes           *packet,
               gboolean          with_fd,
               GBytes           *content,
               MpaioMessageKind  kind)
{
  g_autoptr(GError) error = NULL;
  MpaioMessage message;
  int fd = -1;

  if (with_fd)
    {
      fd = memfd_create ("seed", MFD_CLOEXEC | MFD_ALLOW_SEALING);
      g_assert_cmpint (fd, >=, 0);
    }

  if (content != NULL)
    {
      gsize size;
      const guint8 *data = g_bytes_get_data (content, &size);

      g_assert_cmpint (write (fd, data, size), ==, (gssize) size);
      g_assert_cmpint (fcntl (fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW), ==, 0);
    }

  g_assert_true (mpaio_wire_decode (packet, &fd, fd >= 0 ? 1 : 0, &message, &error));
  g_assert_no_error (error);
  g_assert_cmpint (message.kind, ==, kind);
  mpaio_message_clear (&message);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;

  if (argc != 2)
    {
      g_printerr ("Usage: %s DIRECTORY\n", argv[0]);
      return 2;
    }

  if (g_mkdir_with_parents (argv[1], 0755) < 0)
    {
      g_printerr ("%s: cannot make %s\n", argv[0], argv[1]);
      return 1;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (seeds); i++)
    {
      const Seed *seed = &seeds[i];
      g_autoptr(GVariant) body = g_variant_parse (mpaio_message_body_type (seed->kind), seed->body,
                                                  NULL, NULL, &error);
      g_autoptr(GByteArray) input = g_byte_array_new ();
      g_autoptr(GBytes) message = NULL;
      g_autoptr(GBytes) packet = NULL;
      g_autoptr(GBytes) content = NULL;
      g_autofree char *path = g_build_filename (argv[1], seed->name, NULL);
      guint8 n_fds = seed->fd_kind >= 0;

      g_assert_no_error (error);
      message = serialize (seed->kind, body);

      if (seed->large)
        {
          content = g_steal_pointer (&message);
          packet = serialize (MPAIO_MESSAGE_LARGE,
                              mpaio_wire_large_build (g_bytes_get_size (content)));
          check_decodes (packet, TRUE, content, seed->kind);
        }
      else
        {
          packet = g_steal_pointer (&message);
          /* The one with a pipe is there to be refused. */
          if (seed->fd_kind != FD_PIPE)
            check_decodes (packet, n_fds > 0, NULL, seed->kind);
        }

      g_byte_array_append (input, &n_fds, 1);
      if (n_fds > 0)
        append_fd (input, seed->fd_kind, content);
      g_byte_array_append (input, g_bytes_get_data (packet, NULL), g_bytes_get_size (packet));

      if (!g_file_set_contents (path, (const char *) input->data, input->len, &error))
        {
          g_printerr ("%s: %s\n", argv[0], error->message);
          return 1;
        }
    }

  return 0;
}
