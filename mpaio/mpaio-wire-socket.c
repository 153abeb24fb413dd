/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <gio/gio.h>

#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-wire-private.h"

/* Packets on a SOCK_SEQPACKET channel, with their fds; what they hold is
 * mpaio-wire.c's business. */

#define MAX_FDS 4

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

static MpaioWireStatus
receive (int            socket_fd,
         guint8        *buffer,
         gboolean       blocking,
         gboolean       open_large,
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
  if (!(open_large ? mpaio_wire_decode : mpaio_wire_decode_packet) (packet, fds, n_fds,
                                                                    message, error))
    return MPAIO_WIRE_FAILED;

  return MPAIO_WIRE_MESSAGE;
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
  return receive (socket_fd, buffer, blocking, TRUE, message, error);
}

/* Receives one message without blocking, as mpaio_wire_receive() does,
 * but leaves a LARGE message closed, for mpaio_wire_open_large(). */
MpaioWireStatus
mpaio_wire_receive_packet (int            socket_fd,
                           guint8        *buffer,
                           MpaioMessage  *message,
                           GError       **error)
{
  return receive (socket_fd, buffer, FALSE, FALSE, message, error);
}
