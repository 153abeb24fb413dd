/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <inttypes.h>

#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-util-private.h"
#include "mpaio-wire-private.h"
#include "mpaio-worker-private.h"

/**
 * MpaioWorker:
 *
 * What to do with each chunk of an array.
 *
 * A worker has two halves that run in different processes:
 *
 * - [vfunc@Mpaio.Worker.process] runs in a worker process, on one
 *   [class@Mpaio.Chunk] at a time, and returns the chunk's result as a
 *   #GVariant (or fails with a #GError);
 * - [vfunc@Mpaio.Worker.process_callback] runs in the caller's process, on
 *   the main context the run was started from, once per chunk, with the
 *   chunk's index and result. This is where results are combined. To
 *   fail the run from there, with a #GError of your own, implement
 *   [vfunc@Mpaio.Worker.process_callback_full] instead.
 *
 * Code never crosses between processes. The worker process rebuilds the
 * worker from its type name and the values of its readable and writable
 * properties (see [method@Mpaio.Worker.serialize]), so:
 *
 * - the type must be registered in the worker process under the same name
 *   before it serves: call g_type_ensure() in C, and give Python and
 *   JavaScript classes an explicit type name (`__gtype_name__` in PyGObject,
 *   `GTypeName` in GJS);
 * - everything `process` needs must be in properties of the basic types
 *   (booleans, numbers, enums, flags, strings, string arrays, #GBytes and
 *   #GVariant). State kept in other fields stays in the caller's process,
 *   which is what `process_callback` wants.
 */

G_DEFINE_INTERFACE (MpaioWorker, mpaio_worker, G_TYPE_OBJECT)

static void
mpaio_worker_default_init (MpaioWorkerInterface *iface)
{
}

/**
 * mpaio_worker_process:
 * @self: a worker
 * @chunk: the chunk to process
 * @error: return location for a #GError
 *
 * Processes @chunk. Mpaio calls this in a worker process; call it yourself
 * only to test a worker in-process.
 *
 * A result crosses back to the caller in one message, so on a
 * [class@Mpaio.ProcessPool] it may be at most 256 MiB, less 64 KiB: a
 * larger one fails its chunk with %MPAIO_ERROR_INVALID_RESULT, which names
 * the limit. Split the input into smaller chunks, or write large results
 * to an output memory (mpaio_orchestrator_add_with_output()). Results
 * larger than 60 KiB travel in a sealed memfd, and the pool validates them
 * on a thread of its own, away from the caller's main context.
 *
 * Returns: (transfer full): the chunk's result, or %NULL with @error set. A
 *   worker that returns %NULL without an error gets
 *   %MPAIO_ERROR_INVALID_RESULT.
 */
GVariant *
mpaio_worker_process (MpaioWorker  *self,
                      MpaioChunk   *chunk,
                      GError      **error)
{
  MpaioWorkerInterface *iface;
  g_autoptr(GError) local_error = NULL;
  GVariant *result;

  g_return_val_if_fail (MPAIO_IS_WORKER (self), NULL);
  g_return_val_if_fail (MPAIO_IS_CHUNK (chunk), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = MPAIO_WORKER_GET_IFACE (self);
  if (iface->process == NULL)
    {
      g_autofree char *shown = mpaio_ellipsize (G_OBJECT_TYPE_NAME (self));

      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_UNKNOWN_WORKER_TYPE,
                   _("%s does not implement the process method of MpaioWorker"),
                   shown);
      return NULL;
    }

  result = iface->process (self, chunk, &local_error);

  if (result != NULL)
    {
      g_clear_error (&local_error);
      return g_variant_take_ref (result);
    }

  if (local_error == NULL)
    {
      g_autofree char *shown = mpaio_ellipsize (G_OBJECT_TYPE_NAME (self));

      g_set_error (&local_error, MPAIO_ERROR, MPAIO_ERROR_INVALID_RESULT,
                   _("%s returned no result and no error for chunk %" PRIu64
                     "; return a GVariant, or set the error"),
                   shown, mpaio_chunk_get_index (chunk));
    }

  g_propagate_error (error, g_steal_pointer (&local_error));
  return NULL;
}

/**
 * mpaio_worker_process_callback:
 * @self: a worker
 * @chunk_index: the index of the chunk in its iterator
 * @result: the chunk's result
 *
 * Hands one chunk's result to the worker, as
 * [method@Mpaio.Worker.process_callback_full] does, but cannot say that it
 * failed: a failure is only logged as a warning.
 */
void
mpaio_worker_process_callback (MpaioWorker *self,
                               guint64      chunk_index,
                               GVariant    *result)
{
  g_autoptr(GError) error = NULL;

  if (!mpaio_worker_process_callback_full (self, chunk_index, result, &error) && error != NULL)
    g_warning ("%s; call mpaio_worker_process_callback_full() to handle the error",
               error->message);
}

/**
 * mpaio_worker_process_callback_full:
 * @self: a worker
 * @chunk_index: the index of the chunk in its iterator
 * @result: the chunk's result
 * @error: return location for a #GError
 *
 * Hands one chunk's result to the worker, which may fail the run.
 * Orchestrators call this on the main context the run was started from, in
 * the order chunks complete; a failure ends the run with @error, and results
 * delivered before it stay delivered.
 *
 * A worker implements either this virtual method, to be able to fail, or
 * [vfunc@Mpaio.Worker.process_callback]; the method calls whichever it has.
 * Bindings fail a run from their callback this way: implement
 * `process_callback_full` and raise (Python) or throw (JavaScript) a
 * `GLib.Error`.
 *
 * Returns: %TRUE if the worker took the result; %FALSE with @error set if
 *   it failed the run. A worker that returns %FALSE without an error gets
 *   %MPAIO_ERROR_FAILED.
 */
gboolean
mpaio_worker_process_callback_full (MpaioWorker  *self,
                                    guint64       chunk_index,
                                    GVariant     *result,
                                    GError      **error)
{
  MpaioWorkerInterface *iface;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (MPAIO_IS_WORKER (self), FALSE);
  g_return_val_if_fail (result != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = MPAIO_WORKER_GET_IFACE (self);
  if (iface->process_callback_full == NULL)
    {
      if (iface->process_callback != NULL)
        iface->process_callback (self, chunk_index, result);
      return TRUE;
    }

  if (iface->process_callback_full (self, chunk_index, result, &local_error))
    return TRUE;

  if (local_error == NULL)
    {
      g_autofree char *shown = mpaio_ellipsize (G_OBJECT_TYPE_NAME (self));

      g_set_error (&local_error, MPAIO_ERROR, MPAIO_ERROR_FAILED,
                   _("%s failed in process_callback_full for chunk %" PRIu64
                     " without saying why; set the error"),
                   shown, chunk_index);
    }

  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/**
 * mpaio_worker_dup_result_type:
 * @self: a worker
 *
 * Gets the type every result of @self must have. Results of any other type
 * fail the run with %MPAIO_ERROR_INVALID_RESULT before they reach
 * [vfunc@Mpaio.Worker.process_callback].
 *
 * Returns: (transfer full) (nullable): the result type, or %NULL if the
 *   worker accepts any
 */
GVariantType *
mpaio_worker_dup_result_type (MpaioWorker *self)
{
  MpaioWorkerInterface *iface;

  g_return_val_if_fail (MPAIO_IS_WORKER (self), NULL);

  iface = MPAIO_WORKER_GET_IFACE (self);
  if (iface->dup_result_type == NULL)
    return NULL;

  return iface->dup_result_type (self);
}

/* Every pointer-like value goes in a maybe, so that NULL survives. */
static const char *
signature_for_type (GType type)
{
  switch (G_TYPE_FUNDAMENTAL (type))
    {
    case G_TYPE_BOOLEAN: return "b";
    case G_TYPE_CHAR: return "n";
    case G_TYPE_UCHAR: return "y";
    case G_TYPE_INT: return "i";
    case G_TYPE_UINT: return "u";
    case G_TYPE_LONG: return "x";
    case G_TYPE_ULONG: return "t";
    case G_TYPE_INT64: return "x";
    case G_TYPE_UINT64: return "t";
    case G_TYPE_FLOAT: return "d";
    case G_TYPE_DOUBLE: return "d";
    case G_TYPE_ENUM: return "i";
    case G_TYPE_FLAGS: return "u";
    case G_TYPE_STRING: return "ms";
    case G_TYPE_VARIANT: return "mv";
    case G_TYPE_BOXED:
      if (type == G_TYPE_STRV)
        return "mas";
      if (type == G_TYPE_BYTES)
        return "may";
      return NULL;
    default:
      return NULL;
    }
}

static GVariant *
value_to_variant (const GValue *value)
{
  switch (G_TYPE_FUNDAMENTAL (G_VALUE_TYPE (value)))
    {
    case G_TYPE_BOOLEAN: return g_variant_new_boolean (g_value_get_boolean (value));
    case G_TYPE_CHAR: return g_variant_new_int16 (g_value_get_schar (value));
    case G_TYPE_UCHAR: return g_variant_new_byte (g_value_get_uchar (value));
    case G_TYPE_INT: return g_variant_new_int32 (g_value_get_int (value));
    case G_TYPE_UINT: return g_variant_new_uint32 (g_value_get_uint (value));
    case G_TYPE_LONG: return g_variant_new_int64 (g_value_get_long (value));
    case G_TYPE_ULONG: return g_variant_new_uint64 (g_value_get_ulong (value));
    case G_TYPE_INT64: return g_variant_new_int64 (g_value_get_int64 (value));
    case G_TYPE_UINT64: return g_variant_new_uint64 (g_value_get_uint64 (value));
    case G_TYPE_FLOAT: return g_variant_new_double (g_value_get_float (value));
    case G_TYPE_DOUBLE: return g_variant_new_double (g_value_get_double (value));
    case G_TYPE_ENUM: return g_variant_new_int32 (g_value_get_enum (value));
    case G_TYPE_FLAGS: return g_variant_new_uint32 (g_value_get_flags (value));
    case G_TYPE_STRING:
      {
        const char *s = g_value_get_string (value);
        return g_variant_new_maybe (G_VARIANT_TYPE_STRING, s ? g_variant_new_string (s) : NULL);
      }
    case G_TYPE_VARIANT:
      {
        GVariant *v = g_value_get_variant (value);
        return g_variant_new_maybe (G_VARIANT_TYPE_VARIANT, v ? g_variant_new_variant (v) : NULL);
      }
    default:
      break;
    }

  if (G_VALUE_HOLDS (value, G_TYPE_STRV))
    {
      const char * const *strv = g_value_get_boxed (value);
      return g_variant_new_maybe (G_VARIANT_TYPE_STRING_ARRAY,
                                  strv ? g_variant_new_strv (strv, -1) : NULL);
    }
  else
    {
      GBytes *bytes = g_value_get_boxed (value);
      return g_variant_new_maybe (G_VARIANT_TYPE_BYTESTRING,
                                  bytes ? g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE)
                                        : NULL);
    }
}

static void
variant_to_value (GVariant *variant,
                  GValue   *value)
{
  g_autoptr(GVariant) inner = NULL;

  switch (G_TYPE_FUNDAMENTAL (G_VALUE_TYPE (value)))
    {
    case G_TYPE_BOOLEAN: g_value_set_boolean (value, g_variant_get_boolean (variant)); return;
    case G_TYPE_CHAR: g_value_set_schar (value, g_variant_get_int16 (variant)); return;
    case G_TYPE_UCHAR: g_value_set_uchar (value, g_variant_get_byte (variant)); return;
    case G_TYPE_INT: g_value_set_int (value, g_variant_get_int32 (variant)); return;
    case G_TYPE_UINT: g_value_set_uint (value, g_variant_get_uint32 (variant)); return;
    case G_TYPE_LONG: g_value_set_long (value, g_variant_get_int64 (variant)); return;
    case G_TYPE_ULONG: g_value_set_ulong (value, g_variant_get_uint64 (variant)); return;
    case G_TYPE_INT64: g_value_set_int64 (value, g_variant_get_int64 (variant)); return;
    case G_TYPE_UINT64: g_value_set_uint64 (value, g_variant_get_uint64 (variant)); return;
    case G_TYPE_FLOAT: g_value_set_float (value, g_variant_get_double (variant)); return;
    case G_TYPE_DOUBLE: g_value_set_double (value, g_variant_get_double (variant)); return;
    case G_TYPE_ENUM: g_value_set_enum (value, g_variant_get_int32 (variant)); return;
    case G_TYPE_FLAGS: g_value_set_flags (value, g_variant_get_uint32 (variant)); return;
    default:
      break;
    }

  inner = g_variant_get_maybe (variant);
  if (inner == NULL)
    return;  /* g_value_init() already made it NULL */

  if (G_VALUE_HOLDS_STRING (value))
    g_value_set_string (value, g_variant_get_string (inner, NULL));
  else if (G_VALUE_HOLDS_VARIANT (value))
    g_value_take_variant (value, g_variant_get_variant (inner));
  else if (G_VALUE_HOLDS (value, G_TYPE_STRV))
    g_value_take_boxed (value, g_variant_dup_strv (inner, NULL));
  else
    g_value_take_boxed (value, g_variant_get_data_as_bytes (inner));
}

static gboolean
is_crossing_property (GParamSpec *pspec)
{
  return (pspec->flags & G_PARAM_READWRITE) == G_PARAM_READWRITE;
}

/**
 * mpaio_worker_serialize:
 * @self: a worker
 * @error: return location for a #GError
 *
 * Serializes what a worker process needs to rebuild @self: its type name
 * and the value of every readable and writable property that differs from
 * its default, as a `(sa{sv})` #GVariant. Orchestrators do this for every
 * worker before a run starts on a process pool.
 *
 * Properties of basic types cross: booleans, integers, floating-point
 * numbers, enums, flags, strings, string arrays, #GBytes and #GVariant. A
 * property of any other type (an object, say) that is not at its default
 * value fails with %MPAIO_ERROR_UNSERIALIZABLE_PROPERTY.
 *
 * Returns: (transfer full): the worker's `(sa{sv})` description, or %NULL
 *   with @error set
 */
GVariant *
mpaio_worker_serialize (MpaioWorker  *self,
                        GError      **error)
{
  g_autofree GParamSpec **pspecs = NULL;
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  guint n_pspecs;

  g_return_val_if_fail (MPAIO_IS_WORKER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  pspecs = g_object_class_list_properties (G_OBJECT_GET_CLASS (self), &n_pspecs);

  for (guint i = 0; i < n_pspecs; i++)
    {
      GParamSpec *pspec = pspecs[i];
      g_auto(GValue) value = G_VALUE_INIT;

      if (!is_crossing_property (pspec))
        continue;

      g_value_init (&value, pspec->value_type);
      g_object_get_property (G_OBJECT (self), pspec->name, &value);

      if (g_param_value_defaults (pspec, &value))
        continue;

      if (signature_for_type (pspec->value_type) == NULL)
        {
          g_autofree char *shown = mpaio_ellipsize (G_OBJECT_TYPE_NAME (self));

          g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_UNSERIALIZABLE_PROPERTY,
                       _("The property “%s” of %s has the type %s, which cannot be "
                         "sent to a worker process; use a property of a basic type "
                         "(number, boolean, string, string array, bytes or GVariant), "
                         "or leave it at its default"),
                       pspec->name, shown, g_type_name (pspec->value_type));
          return NULL;
        }

      g_variant_builder_add (&builder, "{sv}", pspec->name, value_to_variant (&value));
    }

  return g_variant_ref_sink (mpaio_wire_spec_new (G_OBJECT_TYPE_NAME (self),
                                                  g_variant_builder_end (&builder)));
}

static GType
lookup_worker_type (const char  *name,
                    GError     **error)
{
  GType type = g_type_from_name (name);

  if (type == G_TYPE_INVALID)
    {
      g_autofree char *shown = mpaio_ellipsize (name);

      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_UNKNOWN_WORKER_TYPE,
                   _("The worker process does not know the type “%s”; register it "
                     "before serving (g_type_ensure() in C, a class with an explicit "
                     "type name defined at module level in Python or JavaScript)"),
                   shown);
      return G_TYPE_INVALID;
    }

  if (!G_TYPE_IS_INSTANTIATABLE (type) || !g_type_is_a (type, G_TYPE_OBJECT) || G_TYPE_IS_ABSTRACT (type) ||
      !g_type_is_a (type, MPAIO_TYPE_WORKER))
    {
      g_autofree char *shown = mpaio_ellipsize (name);

      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_UNKNOWN_WORKER_TYPE,
                   _("The type “%s” is not an instantiable GObject that implements MpaioWorker"),
                   shown);
      return G_TYPE_INVALID;
    }

  return type;
}

/* In a worker process: rebuilds a worker from mpaio_worker_serialize(). */
MpaioWorker *
mpaio_worker_new_from_spec (GVariant  *spec,
                            GError   **error)
{
  g_autoptr(GTypeClass) klass = NULL;
  g_autoptr(GVariantIter) iter = NULL;
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GArray) values = NULL;
  const char *type_name;
  const char *name;
  GVariant *variant;
  GType type;

  mpaio_wire_spec_get (spec, &type_name, &iter);

  if (!(type = lookup_worker_type (type_name, error)))
    return NULL;

  klass = g_type_class_ref (type);
  names = g_ptr_array_new ();
  values = g_array_new (FALSE, TRUE, sizeof (GValue));
  g_array_set_clear_func (values, (GDestroyNotify) g_value_unset);

  while (g_variant_iter_loop (iter, "{&sv}", &name, &variant))
    {
      GParamSpec *pspec = g_object_class_find_property (G_OBJECT_CLASS (klass), name);
      const char *signature = pspec ? signature_for_type (pspec->value_type) : NULL;
      GValue *value;

      if (signature == NULL || !is_crossing_property (pspec) ||
          !g_variant_is_of_type (variant, G_VARIANT_TYPE (signature)))
        {
          g_autofree char *shown_name = mpaio_ellipsize (name);
          g_autofree char *shown_type = mpaio_ellipsize (type_name);

          g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_UNSERIALIZABLE_PROPERTY,
                       _("The worker process cannot set the property “%s” of %s; the "
                         "type in the worker process differs from the caller's"),
                       shown_name, shown_type);
          g_variant_unref (variant);
          return NULL;
        }

      g_array_set_size (values, values->len + 1);
      value = &g_array_index (values, GValue, values->len - 1);
      g_value_init (value, pspec->value_type);
      variant_to_value (variant, value);
      g_ptr_array_add (names, (gpointer) pspec->name);
    }

  return MPAIO_WORKER (g_object_new_with_properties (type,
                                                     names->len,
                                                     (const char **) names->pdata,
                                                     (const GValue *) values->data));
}
