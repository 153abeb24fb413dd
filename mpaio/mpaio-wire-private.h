/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The wire protocol between a pool and its worker processes; see
 * docs/design.md for the table of messages. Every message is one
 * SOCK_SEQPACKET packet holding a serialized "(uv)" GVariant: the message
 * kind and its body. A message too large for one packet travels in a sealed
 * memfd instead, announced by a LARGE packet. */

#define MPAIO_PROTOCOL_VERSION 1

/* Messages up to this size go inline, larger ones through a memfd. */
#define MPAIO_WIRE_MAX_INLINE (60 * 1024)
/* The largest message a parent accepts from a worker process. */
#define MPAIO_WIRE_MAX_MESSAGE ((gsize) 256 * 1024 * 1024)

typedef enum
{
  MPAIO_MESSAGE_HELLO = 1,      /* child → parent */
  MPAIO_MESSAGE_MEMORY,         /* parent → child, with one fd */
  MPAIO_MESSAGE_FORGET_MEMORY,  /* parent → child */
  MPAIO_MESSAGE_WORKER,         /* parent → child */
  MPAIO_MESSAGE_BIND,           /* parent → child */
  MPAIO_MESSAGE_UNBIND,         /* parent → child */
  MPAIO_MESSAGE_PROCESS,        /* parent → child */
  MPAIO_MESSAGE_RESULT,         /* child → parent */
  MPAIO_MESSAGE_ERROR,          /* child → parent */
  MPAIO_MESSAGE_LARGE,          /* either way, with one fd */
  MPAIO_MESSAGE_NOT_SERVING,    /* child → parent */
  MPAIO_MESSAGE_LAST
} MpaioMessageKind;

typedef struct
{
  MpaioMessageKind  kind;
  GVariant         *body;
  int               fd;
} MpaioMessage;

/* An entry of the fixed-size "a(ut)" array of a RESULT message: a "(ut)"
 * is serialized as a 32-bit number, 4 bytes of padding, a 64-bit one. */
typedef struct
{
  guint32 binding_id;
  guint32 padding;
  guint64 chunk;
} MpaioResultId;

G_STATIC_ASSERT (sizeof (MpaioResultId) == 16);

typedef enum
{
  MPAIO_WIRE_MESSAGE,
  MPAIO_WIRE_WOULD_BLOCK,
  MPAIO_WIRE_CLOSED,
  MPAIO_WIRE_FAILED,
} MpaioWireStatus;

const GVariantType *mpaio_message_body_type (MpaioMessageKind kind);
void                mpaio_message_clear     (MpaioMessage     *message);

gboolean        mpaio_wire_encode  (MpaioMessageKind   kind,
                                    GVariant          *body,
                                    GBytes           **packet,
                                    int               *large_fd,
                                    GError           **error);
gboolean        mpaio_wire_decode  (GBytes            *packet,
                                    const int         *fds,
                                    guint              n_fds,
                                    MpaioMessage      *message,
                                    GError           **error);
int             mpaio_wire_send    (int                socket_fd,
                                    GBytes            *packet,
                                    int                fd);
MpaioWireStatus mpaio_wire_receive (int                socket_fd,
                                    guint8            *buffer,
                                    gboolean           blocking,
                                    MpaioMessage      *message,
                                    GError           **error);

G_END_DECLS
