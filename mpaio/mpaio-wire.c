/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <inttypes.h>

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <gio/gio.h>

#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-util-private.h"
#include "mpaio-wire-private.h"

#define ENVELOPE_TYPE G_VARIANT_TYPE ("(uv)")
#define LARGE_SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)
#define MAX_FDS 4

static const char * const body_types[MPAIO_MESSAGE_LAST] = {
  [MPAIO_MESSAGE_HELLO] = "(ut)",                 /* version, pid */
  [MPAIO_MESSAGE_MEMORY] = "(ttb)",               /* memory id, size, is an output */
  [MPAIO_MESSAGE_FORGET_MEMORY] = "(t)",          /* memory id */
  [MPAIO_MESSAGE_WORKER] = "(u(sa{sv}))",         /* worker id, spec */
  [MPAIO_MESSAGE_BIND] = "(uutttstt)",            /* binding, worker, memory, offset, element size,
                                                   * dtype, output memory (0: none), output element size */
  [MPAIO_MESSAGE_UNBIND] = "(u)",                 /* binding */
  [MPAIO_MESSAGE_PROCESS] = "(ua(ttt))",          /* binding, [(chunk, start, end)] */
  [MPAIO_MESSAGE_RESULT] = "(ta(ut)av)",          /* µs spent, [(binding, chunk)], [result] */
  [MPAIO_MESSAGE_ERROR] = "(utsis)",              /* binding, chunk, domain, code, message */
  [MPAIO_MESSAGE_LARGE] = "(t)",                  /* size of the message in the fd */
  [MPAIO_MESSAGE_NOT_SERVING] = "()",             /* started as a worker, will not serve */
};

const GVariantType *
mpaio_message_body_type (MpaioMessageKind kind)
{
  g_return_val_if_fail (kind > 0 && kind < MPAIO_MESSAGE_LAST, NULL);

  return G_VARIANT_TYPE (body_types[kind]);
}

void
mpaio_message_clear (MpaioMessage *message)
{
  g_clear_pointer (&message->body, g_variant_unref);
  mpaio_clear_fd (&message->fd);
  message->kind = 0;
}

static int
seal_into_memfd (GBytes  *bytes,
                 GError **error)
{
  mpaio_autofd fd = memfd_create ("mpaio-message", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  gsize written = 0;

  if (fd < 0)
    goto failed;

  while (written < size)
    {
      gssize n = write (fd, data + written, size - written);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        goto failed;
      written += n;
    }

  if (fcntl (fd, F_ADD_SEALS, LARGE_SEALS) < 0)
    goto failed;

  return g_steal_fd (&fd);

failed:
  {
    int errsv = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                 _("Could not pass a message of %zu bytes: %s"),
                 size, g_strerror (errsv));
    return -1;
  }
}

/* Serializes a message. A message larger than one packet is written to a
 * sealed memfd, returned in @large_fd, and @packet becomes the LARGE
 * message that announces it. */
gboolean
mpaio_wire_encode (MpaioMessageKind   kind,
                   GVariant          *body,
                   GBytes           **packet,
                   int               *large_fd,
                   GError           **error)
{
  g_autoptr(GVariant) envelope = NULL;
  g_autoptr(GBytes) bytes = NULL;

  g_assert (g_variant_is_of_type (body, mpaio_message_body_type (kind)));

  envelope = g_variant_ref_sink (g_variant_new ("(uv)", kind, body));
  bytes = g_variant_get_data_as_bytes (envelope);
  *large_fd = -1;

  if (g_bytes_get_size (bytes) > MPAIO_WIRE_MAX_INLINE)
    {
      gsize size = g_bytes_get_size (bytes);

      if ((*large_fd = seal_into_memfd (bytes, error)) < 0)
        return FALSE;

      return mpaio_wire_encode (MPAIO_MESSAGE_LARGE,
                                g_variant_new ("(t)", (guint64) size),
                                packet, &(int) { -1 }, error);
    }

  *packet = g_steal_pointer (&bytes);
  return TRUE;
}

static void
unmap_bytes (gpointer data)
{
  GBytes *placeholder = data;
  gsize size;
  gconstpointer mapped = g_bytes_get_data (placeholder, &size);

  munmap ((gpointer) mapped, size);
  g_bytes_unref (placeholder);
}

static GBytes *
map_large (int       fd,
           GVariant *body,
           GError  **error)
{
  guint64 size;
  struct stat st;
  gpointer data;
  int seals;

  g_variant_get (body, "(t)", &size);
  seals = fcntl (fd, F_GET_SEALS);

  if (size == 0 || size > MPAIO_WIRE_MAX_MESSAGE || fstat (fd, &st) < 0 ||
      (guint64) st.st_size != size || seals < 0 || (seals & LARGE_SEALS) != LARGE_SEALS)
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                   _("A large message of %" PRIu64 " bytes came in a file "
                     "that is not a sealed memfd of that size (the limit is %zu)"),
                   size, MPAIO_WIRE_MAX_MESSAGE);
      return NULL;
    }

  data = mmap (NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (data == MAP_FAILED)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not map a large message: %s"), g_strerror (errsv));
      return NULL;
    }

  /* The placeholder only remembers the mapping for unmap_bytes(). */
  return g_bytes_new_with_free_func (data, size, unmap_bytes,
                                     g_bytes_new_static (data, size));
}

static gboolean
protocol_error (GError     **error,
                const char  *message)
{
  g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL, message);
  return FALSE;
}

static gboolean
decode_envelope (GBytes        *packet,
                 MpaioMessage  *message,
                 GError       **error)
{
  g_autoptr(GVariant) envelope = NULL;
  guint32 kind;

  envelope = g_variant_ref_sink (g_variant_new_from_bytes (ENVELOPE_TYPE, packet, FALSE));
  if (!g_variant_is_normal_form (envelope))
    return protocol_error (error, _("A message is not a well-formed (uv) GVariant"));

  g_variant_get (envelope, "(uv)", &kind, &message->body);
  message->kind = kind;

  if (kind == 0 || kind >= MPAIO_MESSAGE_LAST)
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                   _("Unknown message kind %u"), kind);
      return FALSE;
    }

  if (!g_variant_is_of_type (message->body, mpaio_message_body_type (kind)))
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                   _("A message of kind %u has the body type “%s” instead of “%s”"),
                   kind, g_variant_get_type_string (message->body), body_types[kind]);
      return FALSE;
    }

  return TRUE;
}

/* Decodes a packet and the fds that came with it, treating both as
 * untrusted: every failure is a GError, never a crash. The fds are always
 * consumed: kept in @message or closed. */
gboolean
mpaio_wire_decode (GBytes        *packet,
                   const int     *fds,
                   guint          n_fds,
                   MpaioMessage  *message,
                   GError       **error)
{
  g_autoptr(GBytes) large = NULL;
  mpaio_autofd fd = -1;
  gboolean ok = FALSE;

  *message = (MpaioMessage) { .fd = -1 };

  if (n_fds > 1)
    {
      protocol_error (error, _("A message came with more than one file descriptor"));
      goto out;
    }
  if (n_fds == 1)
    fd = fds[0];
  n_fds = 0;

  if (!decode_envelope (packet, message, error))
    goto out;

  if (message->kind == MPAIO_MESSAGE_LARGE)
    {
      if (fd < 0)
        {
          protocol_error (error, _("A large message came without its file descriptor"));
          goto out;
        }

      if (!(large = map_large (fd, message->body, error)))
        goto out;

      mpaio_clear_fd (&fd);
      mpaio_message_clear (message);
      message->fd = -1;
      if (!decode_envelope (large, message, error))
        goto out;

      if (message->kind == MPAIO_MESSAGE_LARGE || message->kind == MPAIO_MESSAGE_MEMORY)
        {
          protocol_error (error, _("A large message wraps a message that cannot be large"));
          goto out;
        }
    }
  else if ((message->kind == MPAIO_MESSAGE_MEMORY) != (fd >= 0))
    {
      protocol_error (error, fd >= 0
                      ? _("A message came with a file descriptor it should not have")
                      : _("A memory message came without its file descriptor"));
      goto out;
    }

  message->fd = g_steal_fd (&fd);
  ok = TRUE;

out:
  for (guint i = 0; i < n_fds; i++)
    close (fds[i]);
  if (!ok)
    mpaio_message_clear (message);
  return ok;
}

/* Returns 0, or the errno of the failure (EAGAIN when the peer is full). */
int
mpaio_wire_send (int     socket_fd,
                 GBytes *packet,
                 int     fd)
{
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE (sizeof (int))];
  } control;
  gsize size;
  struct iovec iov = { (gpointer) g_bytes_get_data (packet, &size), 0 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

  iov.iov_len = size;

  if (fd >= 0)
    {
      struct cmsghdr *cmsg;

      memset (&control, 0, sizeof control);
      msg.msg_control = control.buf;
      msg.msg_controllen = sizeof control.buf;
      cmsg = CMSG_FIRSTHDR (&msg);
      cmsg->cmsg_level = SOL_SOCKET;
      cmsg->cmsg_type = SCM_RIGHTS;
      cmsg->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (cmsg), &fd, sizeof (int));
    }

  for (;;)
    {
      if (sendmsg (socket_fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
        return 0;
      if (errno != EINTR)
        return errno;
    }
}

static guint
collect_fds (struct msghdr *msg,
             int           *fds)
{
  guint n_fds = 0;

  for (struct cmsghdr *cmsg = CMSG_FIRSTHDR (msg); cmsg != NULL; cmsg = CMSG_NXTHDR (msg, cmsg))
    {
      gsize n;

      if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
        continue;

      n = (cmsg->cmsg_len - CMSG_LEN (0)) / sizeof (int);
      for (gsize i = 0; i < n; i++)
        {
          int fd;

          memcpy (&fd, CMSG_DATA (cmsg) + i * sizeof (int), sizeof (int));
          if (n_fds < MAX_FDS)
            fds[n_fds++] = fd;
          else
            close (fd);
        }
    }

  return n_fds;
}

/* Receives and decodes one message. @buffer holds MPAIO_WIRE_MAX_INLINE
 * bytes. */
MpaioWireStatus
mpaio_wire_receive (int            socket_fd,
                    guint8        *buffer,
                    gboolean       blocking,
                    MpaioMessage  *message,
                    GError       **error)
{
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE (MAX_FDS * sizeof (int))];
  } control;
  struct iovec iov = { buffer, MPAIO_WIRE_MAX_INLINE };
  struct msghdr msg = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = control.buf,
    .msg_controllen = sizeof control.buf,
  };
  g_autoptr(GBytes) packet = NULL;
  int fds[MAX_FDS];
  guint n_fds;
  gssize n;

  do
    n = recvmsg (socket_fd, &msg, MSG_CMSG_CLOEXEC | (blocking ? 0 : MSG_DONTWAIT));
  while (n < 0 && errno == EINTR);

  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return MPAIO_WIRE_WOULD_BLOCK;

  /* The peer died with messages from us still unread. */
  if (n < 0 && errno == ECONNRESET)
    return MPAIO_WIRE_CLOSED;

  if (n < 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not read from a worker channel: %s"), g_strerror (errsv));
      return MPAIO_WIRE_FAILED;
    }

  n_fds = collect_fds (&msg, fds);

  /* A packet can be empty: only a hung-up peer is the end of the channel. */
  if (n == 0 && n_fds == 0)
    {
      struct pollfd pfd = { socket_fd, POLLIN | POLLRDHUP, 0 };
      int ready = poll (&pfd, 1, 0);

      if (ready < 0 || (ready > 0 && (pfd.revents & (POLLHUP | POLLRDHUP)) != 0))
        return MPAIO_WIRE_CLOSED;

      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL, _("A packet was empty"));
      return MPAIO_WIRE_FAILED;
    }

  if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
    {
      for (guint i = 0; i < n_fds; i++)
        close (fds[i]);
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                   (msg.msg_flags & MSG_TRUNC)
                   ? _("A packet is larger than %d bytes; large messages must come in a memfd")
                   : _("A packet came with more than %d file descriptors"),
                   (msg.msg_flags & MSG_TRUNC) ? MPAIO_WIRE_MAX_INLINE : MAX_FDS);
      return MPAIO_WIRE_FAILED;
    }

  packet = g_bytes_new (buffer, n);
  if (!mpaio_wire_decode (packet, fds, n_fds, message, error))
    return MPAIO_WIRE_FAILED;

  return MPAIO_WIRE_MESSAGE;
}
