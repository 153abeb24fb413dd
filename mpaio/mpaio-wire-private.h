/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "mpaio-internal-private.h"

G_BEGIN_DECLS

/* The wire protocol between a pool and its worker processes; see
 * docs/design.md for the table of messages. Every message is one
 * SOCK_SEQPACKET packet holding a serialized "(uv)" GVariant: the message
 * kind and its body. A message too large for one packet travels in a sealed
 * memfd instead, announced by a LARGE packet. */

#define MPAIO_PROTOCOL_VERSION 2

/* Messages up to this size go inline, larger ones through a memfd. */
#define MPAIO_WIRE_MAX_INLINE (60 * 1024)
/* The largest message a parent accepts from a worker process. */
#define MPAIO_WIRE_MAX_MESSAGE ((gsize) 256 * 1024 * 1024)
/* The largest result a worker sends: what fits in a message next to a
 * batch of smaller ones. */
#define MPAIO_WIRE_MAX_RESULT (MPAIO_WIRE_MAX_MESSAGE - 64 * 1024)
/* A worker's error message longer than this is cut in the middle. */
#define MPAIO_WIRE_MAX_ERROR_MESSAGE (64 * 1024)

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
  MPAIO_MESSAGE_FORGET_WORKER,  /* parent → child */
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

/* One chunk of a PROCESS message: a fixed-size "(ttt)". */
typedef struct
{
  guint64 chunk;
  guint64 start;
  guint64 end;
} MpaioWireRange;

G_STATIC_ASSERT (sizeof (MpaioWireRange) == 24);

/* The bodies of the messages, as C structs. A parser fills one from an
 * untrusted body: the pointers it sets (strings, arrays) point into the
 * body and are valid as long as it is; GVariant fields are owned by the
 * caller. A builder returns a floating body. */

typedef struct
{
  guint32 version;
  guint64 pid;
} MpaioWireHello;

typedef struct
{
  guint64  id;
  guint64  size;
  gboolean output;
} MpaioWireMemory;

typedef struct
{
  guint32   id;
  GVariant *spec;                   /* "(sa{sv})"; owned once parsed */
} MpaioWireWorker;

typedef struct
{
  guint32     binding_id;
  guint32     worker_id;
  guint64     memory_id;
  guint64     offset;
  guint64     element_size;
  const char *dtype;                /* nullable */
  guint64     output_id;            /* 0: no output memory */
  guint64     output_element_size;
} MpaioWireBind;

typedef struct
{
  guint32               binding_id;
  const MpaioWireRange *ranges;
  gsize                 n_ranges;
} MpaioWireProcess;

typedef struct
{
  guint64              busy_usec;
  const MpaioResultId *ids;
  gsize                n_results;
  GVariant            *values;      /* "av"; owned once parsed */
} MpaioWireResult;

typedef struct
{
  guint32     binding_id;
  guint64     chunk;
  const char *domain;
  gint32      code;
  const char *message;
} MpaioWireError;

/* A worker spec, the body of WORKER without its id: the type name and the
 * properties that differ from their defaults, as an a{sv}. */
MPAIO_INTERNAL
GVariant           *mpaio_wire_spec_new          (const char       *type_name,
                                                  GVariant         *properties);
MPAIO_INTERNAL
void                mpaio_wire_spec_get          (GVariant         *spec,
                                                  const char      **type_name,
                                                  GVariantIter    **properties);

MPAIO_INTERNAL
const GVariantType *mpaio_message_body_type      (MpaioMessageKind kind);
MPAIO_INTERNAL
const char         *mpaio_message_kind_get_name  (MpaioMessageKind kind);
MPAIO_INTERNAL
gboolean            mpaio_message_kind_from_pool (MpaioMessageKind kind);
MPAIO_INTERNAL
gboolean            mpaio_message_kind_from_worker (MpaioMessageKind kind);
MPAIO_INTERNAL
void                mpaio_message_clear          (MpaioMessage     *message);

MPAIO_INTERNAL
GVariant *mpaio_wire_hello_build   (const MpaioWireHello   *hello);
MPAIO_INTERNAL
gboolean  mpaio_wire_hello_parse   (GVariant               *body,
                                    MpaioWireHello         *hello,
                                    GError                **error);
MPAIO_INTERNAL
GVariant *mpaio_wire_memory_build  (const MpaioWireMemory  *memory);
MPAIO_INTERNAL
gboolean  mpaio_wire_memory_parse  (GVariant               *body,
                                    MpaioWireMemory        *memory,
                                    GError                **error);
MPAIO_INTERNAL
GVariant *mpaio_wire_forget_memory_build (guint64           memory_id);
MPAIO_INTERNAL
gboolean  mpaio_wire_forget_memory_parse (GVariant         *body,
                                          guint64          *memory_id,
                                          GError          **error);
MPAIO_INTERNAL
GVariant *mpaio_wire_worker_build  (const MpaioWireWorker  *worker);
MPAIO_INTERNAL
gboolean  mpaio_wire_worker_parse  (GVariant               *body,
                                    MpaioWireWorker        *worker,
                                    GError                **error);
MPAIO_INTERNAL
void      mpaio_wire_worker_clear  (MpaioWireWorker        *worker);
MPAIO_INTERNAL
GVariant *mpaio_wire_forget_worker_build (guint32           worker_id);
MPAIO_INTERNAL
gboolean  mpaio_wire_forget_worker_parse (GVariant         *body,
                                          guint32          *worker_id,
                                          GError          **error);
MPAIO_INTERNAL
GVariant *mpaio_wire_bind_build    (const MpaioWireBind    *bind);
MPAIO_INTERNAL
gboolean  mpaio_wire_bind_parse    (GVariant               *body,
                                    MpaioWireBind          *bind,
                                    GError                **error);
MPAIO_INTERNAL
GVariant *mpaio_wire_unbind_build  (guint32                 binding_id);
MPAIO_INTERNAL
gboolean  mpaio_wire_unbind_parse  (GVariant               *body,
                                    guint32                *binding_id,
                                    GError                **error);
MPAIO_INTERNAL
GVariant *mpaio_wire_process_build (const MpaioWireProcess *process);
MPAIO_INTERNAL
gboolean  mpaio_wire_process_parse (GVariant               *body,
                                    MpaioWireProcess       *process,
                                    GError                **error);
MPAIO_INTERNAL
GVariant *mpaio_wire_result_build  (guint64                 busy_usec,
                                    const MpaioResultId    *ids,
                                    GVariant * const       *values,
                                    gsize                   n_results);
MPAIO_INTERNAL
gboolean  mpaio_wire_result_parse  (GVariant               *body,
                                    MpaioWireResult        *result,
                                    GError                **error);
MPAIO_INTERNAL
GVariant *mpaio_wire_result_dup_value (const MpaioWireResult *result,
                                       gsize                  index);
MPAIO_INTERNAL
void      mpaio_wire_result_clear  (MpaioWireResult        *result);
MPAIO_INTERNAL
GVariant *mpaio_wire_error_build   (const MpaioWireError   *error_body);
MPAIO_INTERNAL
gboolean  mpaio_wire_error_parse   (GVariant               *body,
                                    MpaioWireError         *error_body,
                                    GError                **error);
MPAIO_INTERNAL
GVariant *mpaio_wire_not_serving_build (void);
MPAIO_INTERNAL
gboolean  mpaio_wire_not_serving_parse (GVariant               *body,
                                        GError                **error);
MPAIO_INTERNAL
GError   *mpaio_wire_error_to_gerror (const MpaioWireError *error_body);
MPAIO_INTERNAL
GVariant *mpaio_wire_large_build   (guint64                 size);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MpaioWireWorker, mpaio_wire_worker_clear)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MpaioWireResult, mpaio_wire_result_clear)

MPAIO_INTERNAL
GBytes         *mpaio_wire_pack    (guint32            kind,
                                    GVariant          *body);
MPAIO_INTERNAL
gboolean        mpaio_wire_encode  (MpaioMessageKind   kind,
                                    GVariant          *body,
                                    GBytes           **packet,
                                    int               *large_fd,
                                    GError           **error);
MPAIO_INTERNAL
gboolean        mpaio_wire_decode  (GBytes            *packet,
                                    const int         *fds,
                                    guint              n_fds,
                                    MpaioMessage      *message,
                                    GError           **error);
MPAIO_INTERNAL
gboolean        mpaio_wire_decode_packet (GBytes      *packet,
                                          const int   *fds,
                                          guint        n_fds,
                                          MpaioMessage *message,
                                          GError     **error);
MPAIO_INTERNAL
gboolean        mpaio_wire_open_large (MpaioMessage   *message,
                                       GError        **error);
MPAIO_INTERNAL
int             mpaio_wire_send    (int                socket_fd,
                                    GBytes            *packet,
                                    int                fd);
MPAIO_INTERNAL
MpaioWireStatus mpaio_wire_receive (int                socket_fd,
                                    guint8            *buffer,
                                    gboolean           blocking,
                                    MpaioMessage      *message,
                                    GError           **error);
MPAIO_INTERNAL
MpaioWireStatus mpaio_wire_receive_packet (int             socket_fd,
                                           guint8         *buffer,
                                           MpaioMessage   *message,
                                           GError        **error);

G_END_DECLS
