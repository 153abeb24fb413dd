/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-mpi-protocol-private.h"
#include "mpaio-mpi-transport-private.h"

static const GVariantType *
body_type (int tag)
{
  switch (tag)
    {
    case MPAIO_MPI_TAG_HELLO:
      return G_VARIANT_TYPE ("(usts)");
    case MPAIO_MPI_TAG_MEMORY:
      return G_VARIANT_TYPE ("(ttbttt)");
    case MPAIO_MPI_TAG_FAILED:
      return G_VARIANT_TYPE ("(s)");
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
