/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-mpi-protocol-private.h"
#include "mpaio-mpi-transport-private.h"

#define HELLO_TYPE  "(usts)"
#define MEMORY_TYPE "(ttbttt)"
#define FAILED_TYPE "(s)"

static const GVariantType *
body_type (int tag)
{
  switch (tag)
    {
    case MPAIO_MPI_TAG_HELLO:
      return G_VARIANT_TYPE (HELLO_TYPE);
    case MPAIO_MPI_TAG_MEMORY:
      return G_VARIANT_TYPE (MEMORY_TYPE);
    case MPAIO_MPI_TAG_FAILED:
      return G_VARIANT_TYPE (FAILED_TYPE);
    case MPAIO_MESSAGE_HELLO:
    case MPAIO_MESSAGE_FORGET_MEMORY:
    case MPAIO_MESSAGE_WORKER:
    case MPAIO_MESSAGE_BIND:
    case MPAIO_MESSAGE_UNBIND:
    case MPAIO_MESSAGE_PROCESS:
    case MPAIO_MESSAGE_RESULT:
    case MPAIO_MESSAGE_ERROR:
      return mpaio_message_body_type (tag);
    default:
      return NULL;
    }
}

static gboolean
invalid_body (GError     **error,
              int          tag,
              const char  *why)
{
  g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
               _("An MPI peer sent a message of kind %d that is not valid: %s"), tag, why);
  return FALSE;
}

/* A body given to a parser must be what mpaio_mpi_decode() gave for @tag. */
static gboolean
check_body (GVariant  *body,
            int        tag,
            GError   **error)
{
  if (body == NULL || !g_variant_is_of_type (body, body_type (tag)))
    return invalid_body (error, tag, _("its body is not of its kind’s type"));

  return TRUE;
}

GVariant *
mpaio_mpi_hello_build (const MpaioMpiHello *hello)
{
  return g_variant_new (HELLO_TYPE, hello->version, hello->host, hello->pid, hello->boot_id);
}

gboolean
mpaio_mpi_hello_parse (GVariant       *body,
                       MpaioMpiHello  *hello,
                       GError        **error)
{
  if (!check_body (body, MPAIO_MPI_TAG_HELLO, error))
    return FALSE;

  g_variant_get (body, "(u&st&s)", &hello->version, &hello->host, &hello->pid, &hello->boot_id);
  if (hello->version != MPAIO_MPI_PROTOCOL_VERSION)
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                   _("The MPI worker on %s speaks protocol version %u, this executor %u: "
                     "run the same Mpaio on every node"),
                   hello->host, hello->version, MPAIO_MPI_PROTOCOL_VERSION);
      return FALSE;
    }
  if (hello->pid == 0 || hello->pid > G_MAXINT32)
    return invalid_body (error, MPAIO_MPI_TAG_HELLO, _("its process id is out of range"));

  return TRUE;
}

GVariant *
mpaio_mpi_memory_build (const MpaioMpiMemory *memory)
{
  return g_variant_new (MEMORY_TYPE, memory->id, memory->size, memory->local,
                        memory->pid, memory->fd, memory->inode);
}

gboolean
mpaio_mpi_memory_parse (GVariant        *body,
                        MpaioMpiMemory  *memory,
                        GError         **error)
{
  if (!check_body (body, MPAIO_MPI_TAG_MEMORY, error))
    return FALSE;

  g_variant_get (body, MEMORY_TYPE, &memory->id, &memory->size, &memory->local,
                 &memory->pid, &memory->fd, &memory->inode);
  if (memory->size > G_MAXSIZE)
    return invalid_body (error, MPAIO_MPI_TAG_MEMORY, _("its size does not fit in memory"));
  if (memory->local && (memory->pid == 0 || memory->pid > G_MAXINT32 || memory->fd > G_MAXINT))
    return invalid_body (error, MPAIO_MPI_TAG_MEMORY,
                         _("its process id or file descriptor is out of range"));

  return TRUE;
}

GVariant *
mpaio_mpi_failed_build (const char *message)
{
  return g_variant_new (FAILED_TYPE, message);
}

gboolean
mpaio_mpi_failed_parse (GVariant    *body,
                        const char **message,
                        GError     **error)
{
  if (!check_body (body, MPAIO_MPI_TAG_FAILED, error))
    return FALSE;

  g_variant_get (body, "(&s)", message);
  return TRUE;
}

/* Sends a message: @body (floating, taken) serialized, @tag its kind. */
void
mpaio_mpi_send_body (guint     endpoint,
                     int       tag,
                     GVariant *body)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (body);
  g_autoptr(GBytes) bytes = g_variant_get_data_as_bytes (owned);

  mpaio_mpi_send (endpoint, tag, bytes);
}

/* Everything a peer sends is untrusted: an unknown tag, or a body not of
 * its kind's type and in normal form, is a protocol error. */
GVariant *
mpaio_mpi_decode (int      tag,
                  GBytes  *bytes,
                  GError **error)
{
  const GVariantType *type = body_type (tag);
  g_autoptr(GVariant) body = NULL;

  if (type == NULL)
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                   _("An MPI peer sent a message of unknown kind %d"), tag);
      return NULL;
    }

  body = g_variant_ref_sink (g_variant_new_from_bytes (type, bytes, FALSE));
  if (!g_variant_is_normal_form (body))
    {
      g_autofree char *expected = g_variant_type_dup_string (type);

      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                   _("An MPI peer sent a message of kind %d that is not a valid “%s”"),
                   tag, expected);
      return NULL;
    }

  return g_steal_pointer (&body);
}

/* Tells processes on one running kernel (one node) from the others. */
char *
mpaio_mpi_boot_id (void)
{
  char *contents = NULL;

  if (!g_file_get_contents ("/proc/sys/kernel/random/boot_id", &contents, NULL, NULL))
    return g_strdup ("");

  return g_strstrip (contents);
}
