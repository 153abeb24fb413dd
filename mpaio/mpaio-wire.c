/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <inttypes.h>

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <gio/gio.h>

#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-util-private.h"
#include "mpaio-wire-private.h"

#define ENVELOPE_TYPE G_VARIANT_TYPE ("(uv)")
#define LARGE_SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)

#define MAX_WORKER_DOMAINS 64

typedef struct
{
  const char *name;
  const char *body_type;
  guint       from_pool : 1;
  guint       from_worker : 1;
} MessageInfo;

/* The one place that spells the body of each message; docs/design.md has
 * the same table, and tests/test-protocol-doc.c checks that it does. */
static const MessageInfo messages[MPAIO_MESSAGE_LAST] = {
  /* version, pid */
  [MPAIO_MESSAGE_HELLO] = { "HELLO", "(ut)", FALSE, TRUE },
  /* memory id, size, is an output */
  [MPAIO_MESSAGE_MEMORY] = { "MEMORY", "(ttb)", TRUE, FALSE },
  /* memory id */
  [MPAIO_MESSAGE_FORGET_MEMORY] = { "FORGET_MEMORY", "(t)", TRUE, FALSE },
  /* worker id, spec */
  [MPAIO_MESSAGE_WORKER] = { "WORKER", "(u(sa{sv}))", TRUE, FALSE },
  /* binding, worker, memory, offset, element size, dtype, output memory
   * (0: none), output element size */
  [MPAIO_MESSAGE_BIND] = { "BIND", "(uutttstt)", TRUE, FALSE },
  /* binding */
  [MPAIO_MESSAGE_UNBIND] = { "UNBIND", "(u)", TRUE, FALSE },
  /* binding, [(chunk, start, end)] */
  [MPAIO_MESSAGE_PROCESS] = { "PROCESS", "(ua(ttt))", TRUE, FALSE },
  /* µs spent, [(binding, chunk)], [result] */
  [MPAIO_MESSAGE_RESULT] = { "RESULT", "(ta(ut)av)", FALSE, TRUE },
  /* binding, chunk, domain, code, message */
  [MPAIO_MESSAGE_ERROR] = { "ERROR", "(utsis)", FALSE, TRUE },
  /* size of the message in the fd */
  [MPAIO_MESSAGE_LARGE] = { "LARGE", "(t)", TRUE, TRUE },
  /* nothing: started as a worker, the process will not serve */
  [MPAIO_MESSAGE_NOT_SERVING] = { "NOT_SERVING", "()", FALSE, TRUE },
  /* worker id */
  [MPAIO_MESSAGE_FORGET_WORKER] = { "FORGET_WORKER", "(u)", TRUE, FALSE },
};

static gboolean
kind_is_valid (MpaioMessageKind kind)
{
  return kind > 0 && kind < MPAIO_MESSAGE_LAST;
}

const GVariantType *
mpaio_message_body_type (MpaioMessageKind kind)
{
  g_return_val_if_fail (kind_is_valid (kind), NULL);

  return G_VARIANT_TYPE (messages[kind].body_type);
}

const char *
mpaio_message_kind_get_name (MpaioMessageKind kind)
{
  g_return_val_if_fail (kind_is_valid (kind), NULL);

  return messages[kind].name;
}

gboolean
mpaio_message_kind_from_pool (MpaioMessageKind kind)
{
  return kind_is_valid (kind) && messages[kind].from_pool;
}

gboolean
mpaio_message_kind_from_worker (MpaioMessageKind kind)
{
  return kind_is_valid (kind) && messages[kind].from_worker;
}

void
mpaio_message_clear (MpaioMessage *message)
{
  g_clear_pointer (&message->body, g_variant_unref);
  mpaio_clear_fd (&message->fd);
  message->kind = 0;
}

/* Message bodies. Every parser checks the type first: a body may come
 * from anywhere, not only from mpaio_wire_decode(). */

static gboolean
check_body (GVariant          *body,
            MpaioMessageKind   kind,
            GError           **error)
{
  if (g_variant_is_of_type (body, mpaio_message_body_type (kind)))
    return TRUE;

  g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
               _("A %s message has the body type “%s” instead of “%s”"),
               messages[kind].name, g_variant_get_type_string (body), messages[kind].body_type);
  return FALSE;
}

static gboolean
invalid_body (GError          **error,
              MpaioMessageKind  kind,
              const char       *why)
{
  g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
               _("A %s message is invalid: %s"), messages[kind].name, why);
  return FALSE;
}

GVariant *
mpaio_wire_hello_build (const MpaioWireHello *hello)
{
  return g_variant_new ("(ut)", hello->version, hello->pid);
}

gboolean
mpaio_wire_hello_parse (GVariant        *body,
                        MpaioWireHello  *hello,
                        GError         **error)
{
  if (!check_body (body, MPAIO_MESSAGE_HELLO, error))
    return FALSE;

  g_variant_get (body, "(ut)", &hello->version, &hello->pid);
  if (hello->pid == 0 || hello->pid > G_MAXINT32)
    return invalid_body (error, MPAIO_MESSAGE_HELLO, _("its process id is out of range"));

  return TRUE;
}

GVariant *
mpaio_wire_memory_build (const MpaioWireMemory *memory)
{
  return g_variant_new ("(ttb)", memory->id, memory->size, memory->output);
}

gboolean
mpaio_wire_memory_parse (GVariant         *body,
                         MpaioWireMemory  *memory,
                         GError          **error)
{
  if (!check_body (body, MPAIO_MESSAGE_MEMORY, error))
    return FALSE;

  g_variant_get (body, "(ttb)", &memory->id, &memory->size, &memory->output);
  if (memory->id == 0)
    return invalid_body (error, MPAIO_MESSAGE_MEMORY, _("memory id 0 names no memory"));

  return TRUE;
}

GVariant *
mpaio_wire_forget_memory_build (guint64 memory_id)
{
  return g_variant_new ("(t)", memory_id);
}

gboolean
mpaio_wire_forget_memory_parse (GVariant  *body,
                                guint64   *memory_id,
                                GError   **error)
{
  if (!check_body (body, MPAIO_MESSAGE_FORGET_MEMORY, error))
    return FALSE;

  g_variant_get (body, "(t)", memory_id);
  return TRUE;
}

GVariant *
mpaio_wire_worker_build (const MpaioWireWorker *worker)
{
  return g_variant_new ("(u@(sa{sv}))", worker->id, worker->spec);
}

/* Floating, as g_variant_new() returns it. */
GVariant *
mpaio_wire_spec_new (const char *type_name,
                     GVariant   *properties)
{
  return g_variant_new ("(s@a{sv})", type_name, properties);
}

/* @spec has the type WORKER's body gives it, checked when it was parsed. */
void
mpaio_wire_spec_get (GVariant      *spec,
                     const char   **type_name,
                     GVariantIter **properties)
{
  g_variant_get (spec, "(&sa{sv})", type_name, properties);
}

gboolean
mpaio_wire_worker_parse (GVariant         *body,
                         MpaioWireWorker  *worker,
                         GError          **error)
{
  *worker = (MpaioWireWorker) { 0, NULL };
  if (!check_body (body, MPAIO_MESSAGE_WORKER, error))
    return FALSE;

  g_variant_get (body, "(u@(sa{sv}))", &worker->id, &worker->spec);
  return TRUE;
}

void
mpaio_wire_worker_clear (MpaioWireWorker *worker)
{
  g_clear_pointer (&worker->spec, g_variant_unref);
}

GVariant *
mpaio_wire_forget_worker_build (guint32 worker_id)
{
  return g_variant_new ("(u)", worker_id);
}

gboolean
mpaio_wire_forget_worker_parse (GVariant  *body,
                                guint32   *worker_id,
                                GError   **error)
{
  if (!check_body (body, MPAIO_MESSAGE_FORGET_WORKER, error))
    return FALSE;

  g_variant_get (body, "(u)", worker_id);
  return TRUE;
}

GVariant *
mpaio_wire_bind_build (const MpaioWireBind *bind)
{
  return g_variant_new ("(uutttstt)", bind->binding_id, bind->worker_id, bind->memory_id,
                        bind->offset, bind->element_size, bind->dtype ? bind->dtype : "",
                        bind->output_id, bind->output_element_size);
}

gboolean
mpaio_wire_bind_parse (GVariant       *body,
                       MpaioWireBind  *bind,
                       GError        **error)
{
  if (!check_body (body, MPAIO_MESSAGE_BIND, error))
    return FALSE;

  g_variant_get (body, "(uuttt&stt)", &bind->binding_id, &bind->worker_id, &bind->memory_id,
                 &bind->offset, &bind->element_size, &bind->dtype, &bind->output_id,
                 &bind->output_element_size);
  if (*bind->dtype == '\0')
    bind->dtype = NULL;

  if (bind->memory_id == 0 || bind->element_size == 0 || bind->element_size > G_MAXSIZE ||
      (bind->output_id != 0 &&
       (bind->output_element_size == 0 || bind->output_element_size > G_MAXSIZE)))
    return invalid_body (error, MPAIO_MESSAGE_BIND,
                         _("it names no memory, or an element size of 0"));

  return TRUE;
}

GVariant *
mpaio_wire_unbind_build (guint32 binding_id)
{
  return g_variant_new ("(u)", binding_id);
}

gboolean
mpaio_wire_unbind_parse (GVariant  *body,
                         guint32   *binding_id,
                         GError   **error)
{
  if (!check_body (body, MPAIO_MESSAGE_UNBIND, error))
    return FALSE;

  g_variant_get (body, "(u)", binding_id);
  return TRUE;
}

/* A fixed-size array: building it is a copy. */
GVariant *
mpaio_wire_process_build (const MpaioWireProcess *process)
{
  return g_variant_new ("(u@a(ttt))", process->binding_id,
                        g_variant_new_fixed_array (G_VARIANT_TYPE ("(ttt)"), process->ranges,
                                                   process->n_ranges, sizeof (MpaioWireRange)));
}

gboolean
mpaio_wire_process_parse (GVariant          *body,
                          MpaioWireProcess  *process,
                          GError           **error)
{
  g_autoptr(GVariant) entries = NULL;

  if (!check_body (body, MPAIO_MESSAGE_PROCESS, error))
    return FALSE;

  g_variant_get (body, "(u@a(ttt))", &process->binding_id, &entries);
  process->ranges = g_variant_get_fixed_array (entries, &process->n_ranges,
                                               sizeof (MpaioWireRange));

  for (gsize i = 0; i < process->n_ranges; i++)
    if (process->ranges[i].start > process->ranges[i].end)
      return invalid_body (error, MPAIO_MESSAGE_PROCESS, _("a chunk ends before it starts"));

  return TRUE;
}

GVariant *
mpaio_wire_result_build (guint64               busy_usec,
                         const MpaioResultId  *ids,
                         GVariant * const     *values,
                         gsize                 n_results)
{
  g_autofree GVariant **boxed = g_new (GVariant *, n_results);

  for (gsize i = 0; i < n_results; i++)
    boxed[i] = g_variant_new_variant (values[i]);

  return g_variant_new ("(t@a(ut)@av)", busy_usec,
                        g_variant_new_fixed_array (G_VARIANT_TYPE ("(ut)"), ids, n_results,
                                                   sizeof (MpaioResultId)),
                        g_variant_new_array (G_VARIANT_TYPE_VARIANT, boxed, n_results));
}

gboolean
mpaio_wire_result_parse (GVariant         *body,
                         MpaioWireResult  *result,
                         GError          **error)
{
  g_autoptr(GVariant) id_array = NULL;

  *result = (MpaioWireResult) { 0, NULL, 0, NULL };
  if (!check_body (body, MPAIO_MESSAGE_RESULT, error))
    return FALSE;

  g_variant_get (body, "(t@a(ut)@av)", &result->busy_usec, &id_array, &result->values);
  result->ids = g_variant_get_fixed_array (id_array, &result->n_results, sizeof (MpaioResultId));

  if (result->n_results != g_variant_n_children (result->values))
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                   _("A batch names %zu chunks but holds %zu results"),
                   result->n_results, g_variant_n_children (result->values));
      mpaio_wire_result_clear (result);
      return FALSE;
    }

  return TRUE;
}

/* The result at @index, unboxed. */
GVariant *
mpaio_wire_result_dup_value (const MpaioWireResult *result,
                             gsize                  index)
{
  g_autoptr(GVariant) boxed = g_variant_get_child_value (result->values, index);

  return g_variant_get_variant (boxed);
}

void
mpaio_wire_result_clear (MpaioWireResult *result)
{
  g_clear_pointer (&result->values, g_variant_unref);
  result->ids = NULL;
  result->n_results = 0;
}

GVariant *
mpaio_wire_error_build (const MpaioWireError *error_body)
{
  return g_variant_new ("(utsis)", error_body->binding_id, error_body->chunk,
                        error_body->domain, error_body->code, error_body->message);
}

gboolean
mpaio_wire_error_parse (GVariant        *body,
                        MpaioWireError  *error_body,
                        GError         **error)
{
  if (!check_body (body, MPAIO_MESSAGE_ERROR, error))
    return FALSE;

  g_variant_get (body, "(ut&si&s)", &error_body->binding_id, &error_body->chunk,
                 &error_body->domain, &error_body->code, &error_body->message);
  return TRUE;
}

GVariant *
mpaio_wire_not_serving_build (void)
{
  return g_variant_new ("()");
}

gboolean
mpaio_wire_not_serving_parse (GVariant  *body,
                              GError   **error)
{
  return check_body (body, MPAIO_MESSAGE_NOT_SERVING, error);
}

/* The caller's quark for an error domain a worker names. Bindings and Vala
 * register their domains on first use, so the caller may not know one yet;
 * a worker may register a few, but not grow the quark table without end. */
static GQuark
worker_error_domain (const char *domain)
{
  static gint n_registered;
  GQuark quark;

  if ((quark = g_quark_try_string (domain)) != 0)
    return quark;

  if (g_atomic_int_get (&n_registered) >= MAX_WORKER_DOMAINS || strlen (domain) > 128 ||
      !g_str_has_suffix (domain, "-quark") || !g_utf8_validate (domain, -1, NULL))
    return 0;

  g_atomic_int_inc (&n_registered);
  return g_quark_from_string (domain);
}

/* A worker's error message, whole up to MPAIO_WIRE_MAX_ERROR_MESSAGE bytes
 * (a traceback fits); past that its start and its end, so that a worker
 * cannot flood the caller's error messages. */
static char *
cap_worker_message (const char *message)
{
  gsize length = strlen (message);
  const char *head_end, *tail;

  if (length <= MPAIO_WIRE_MAX_ERROR_MESSAGE)
    return g_utf8_make_valid (message, -1);

  head_end = g_utf8_find_prev_char (message, message + MPAIO_WIRE_MAX_ERROR_MESSAGE / 2 + 1);
  tail = g_utf8_find_next_char (message + length - MPAIO_WIRE_MAX_ERROR_MESSAGE / 4 - 1, NULL);
  if (head_end == NULL || tail == NULL)
    return g_strdup ("…");

  return g_strdup_printf ("%.*s\n… (%zu bytes left out) …\n%s", (int) (head_end - message),
                          message, (gsize) (tail - head_end), tail);
}

/* The error a worker reported, in the caller's terms: its own domain and
 * code when the caller knows (or may learn) the domain, else
 * MPAIO_ERROR_WORKER_FAILED naming it. */
GError *
mpaio_wire_error_to_gerror (const MpaioWireError *error_body)
{
  g_autofree char *message = cap_worker_message (error_body->message);
  g_autofree char *domain = NULL;
  GQuark quark;

  (void) MPAIO_ERROR;
  quark = worker_error_domain (error_body->domain);
  if (quark == 0)
    {
      domain = mpaio_ellipsize (error_body->domain);
      return g_error_new (MPAIO_ERROR, MPAIO_ERROR_WORKER_FAILED, "%s (%s %d)",
                          message, domain, error_body->code);
    }

  return g_error_new_literal (quark, error_body->code, message);
}

/* Only the wire makes LARGE messages; tests forge them with this. */
GVariant *
mpaio_wire_large_build (guint64 size)
{
  return g_variant_new ("(t)", size);
}

static guint64
large_parse (GVariant *body)
{
  guint64 size;

  g_variant_get (body, "(t)", &size);
  return size;
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

/* The bytes of a message: its kind and body in the "(uv)" envelope, with
 * no check at all, so that tests can forge what a hostile peer sends.
 * mpaio_wire_encode() is the checked way. */
GBytes *
mpaio_wire_pack (guint32   kind,
                 GVariant *body)
{
  g_autoptr(GVariant) envelope = g_variant_ref_sink (g_variant_new ("(uv)", kind, body));

  return g_variant_get_data_as_bytes (envelope);
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
  g_autoptr(GBytes) bytes = NULL;

  g_assert (g_variant_is_of_type (body, mpaio_message_body_type (kind)));

  bytes = mpaio_wire_pack (kind, body);
  *large_fd = -1;

  if (g_bytes_get_size (bytes) > MPAIO_WIRE_MAX_INLINE)
    {
      gsize size = g_bytes_get_size (bytes);

      if ((*large_fd = seal_into_memfd (bytes, error)) < 0)
        return FALSE;

      return mpaio_wire_encode (MPAIO_MESSAGE_LARGE,
                                mpaio_wire_large_build (size),
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

  size = large_parse (body);
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
                   kind, g_variant_get_type_string (message->body), messages[kind].body_type);
      return FALSE;
    }

  return TRUE;
}

/* Opens a LARGE message that mpaio_wire_decode_packet() left closed:
 * maps its memfd and decodes the message inside, in place of @message.
 * Validating it costs about 20 ms per MiB, so a pool calls this away from
 * its main context. On failure @message is cleared. */
gboolean
mpaio_wire_open_large (MpaioMessage  *message,
                       GError       **error)
{
  g_autoptr(GBytes) large = NULL;
  mpaio_autofd fd = g_steal_fd (&message->fd);

  g_return_val_if_fail (message->kind == MPAIO_MESSAGE_LARGE, FALSE);

  large = map_large (fd, message->body, error);
  mpaio_message_clear (message);
  message->fd = -1;
  if (large == NULL || !decode_envelope (large, message, error))
    goto fail;

  if (message->kind == MPAIO_MESSAGE_LARGE || message->kind == MPAIO_MESSAGE_MEMORY)
    {
      protocol_error (error, _("A large message wraps a message that cannot be large"));
      goto fail;
    }

  return TRUE;

fail:
  mpaio_message_clear (message);
  return FALSE;
}

/* Decodes a packet and the fds that came with it, treating both as
 * untrusted: every failure is a GError, never a crash. The fds are always
 * consumed: kept in @message or closed. A LARGE message is left closed,
 * with its memfd, for mpaio_wire_open_large(). */
gboolean
mpaio_wire_decode_packet (GBytes        *packet,
                          const int     *fds,
                          guint          n_fds,
                          MpaioMessage  *message,
                          GError       **error)
{
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

  if (message->kind == MPAIO_MESSAGE_LARGE && fd < 0)
    {
      protocol_error (error, _("A large message came without its file descriptor"));
      goto out;
    }
  if (message->kind != MPAIO_MESSAGE_LARGE && (message->kind == MPAIO_MESSAGE_MEMORY) != (fd >= 0))
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

/* Decodes a packet as mpaio_wire_decode_packet() does, and opens a LARGE
 * message at once. */
gboolean
mpaio_wire_decode (GBytes        *packet,
                   const int     *fds,
                   guint          n_fds,
                   MpaioMessage  *message,
                   GError       **error)
{
  if (!mpaio_wire_decode_packet (packet, fds, n_fds, message, error))
    return FALSE;

  return message->kind != MPAIO_MESSAGE_LARGE || mpaio_wire_open_large (message, error);
}
