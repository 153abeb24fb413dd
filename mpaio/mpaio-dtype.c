/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* numpy type strings, as numpy.dtype.str gives them: only the types numpy
 * has, and the size of their elements. */
#include "config.h"

#include <string.h>

#include "mpaio-data-iterator.h"
#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-util-private.h"

/* The sizes numpy has for its kinds of fixed size: numpy.dtype() refuses
 * "<i3" or "<c1". S, U and V take any size. */
typedef struct
{
  char        kind;
  guint       sizes[4];
  const char *example;
} FixedKind;

static const FixedKind fixed_kinds[] = {
  { 'b', { 1 }, "|b1" },
  { 'i', { 1, 2, 4, 8 }, "<i8" },
  { 'u', { 1, 2, 4, 8 }, "<u8" },
  { 'f', { 2, 4, 8, 16 }, "<f8" },
  { 'c', { 8, 16, 32 }, "<c16" },
  { 'm', { 8 }, "<m8[ns]" },
  { 'M', { 8 }, "<M8[ns]" },
};

static const FixedKind *
find_fixed_kind (char kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (fixed_kinds); i++)
    if (fixed_kinds[i].kind == kind)
      return &fixed_kinds[i];

  return NULL;
}

static gboolean
has_size (const FixedKind *fixed,
          guint64          count)
{
  for (guint i = 0; i < G_N_ELEMENTS (fixed->sizes); i++)
    if (fixed->sizes[i] == count)
      return TRUE;

  return FALSE;
}

/* "1, 2, 4, 8" */
static char *
join_sizes (const FixedKind *fixed)
{
  GString *sizes = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (fixed->sizes) && fixed->sizes[i] != 0; i++)
    g_string_append_printf (sizes, "%s%u", i > 0 ? ", " : "", fixed->sizes[i]);

  return g_string_free (sizes, FALSE);
}

/* The unit of a datetime or timedelta, as numpy.dtype.str gives it:
 * "[ns]", "[10us]", "[D]". */
static gboolean
is_datetime_unit (const char *p)
{
  static const char *const units[] = {
    "Y", "M", "W", "D", "h", "m", "s", "ms", "us", "μs", "ns", "ps", "fs", "as",
  };
  const char *unit = p + 1;
  gsize length;

  if (*p != '[')
    return FALSE;

  /* numpy takes a multiplier below 2^31. */
  while (g_ascii_isdigit (*unit) && unit - p <= 9)
    unit++;

  length = strlen (unit);
  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    if (length == strlen (units[i]) + 1 && strncmp (unit, units[i], length - 1) == 0 &&
        unit[length - 1] == ']')
      return TRUE;

  return FALSE;
}

/* Splits "<i8" into its kind and count; FALSE if it does not have the
 * form of numpy.dtype.str at all. */
static gboolean
parse_dtype (const char *dtype,
             char       *kind,
             guint64    *count)
{
  const char *p = dtype;
  char *end;

  if (*p == '<' || *p == '>' || *p == '|' || *p == '=')
    p++;

  *kind = *p++;
  if (*kind == '\0' || strchr ("biufcmMSUV", *kind) == NULL || !g_ascii_isdigit (*p))
    return FALSE;

  *count = g_ascii_strtoull (p, &end, 10);
  if (*end != '\0' && !((*kind == 'm' || *kind == 'M') && is_datetime_unit (end)))
    return FALSE;

  return *count > 0 && *count <= G_MAXUINT32;
}

static void
set_dtype_error (GError          **error,
                 const char       *dtype,
                 const FixedKind  *fixed)
{
  g_autofree char *shown = mpaio_ellipsize (dtype);
  g_autofree char *sizes = NULL;

  if (fixed == NULL)
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT,
                   _("“%s” is not a numpy type string; use the form of numpy.dtype.str: "
                     "a byte order (<, >, | or =), a kind and a size, such as “<i8”, "
                     "“<f8”, “<c16”, “|b1”, “<M8[ns]”, “<U6” or “S16”"),
                   shown);
      return;
    }

  sizes = join_sizes (fixed);
  g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT,
               _("“%s” is not a numpy type: numpy has “%c” in sizes %s only, such as “%s”"),
               shown, fixed->kind, sizes, fixed->example);
}

/**
 * mpaio_dtype_get_element_size:
 * @dtype: a numpy array-protocol type string, such as `"<i8"`, `"|u1"`,
 *   `"<f8"`, `"<M8[ns]"`, `"<U6"` or `"S16"`
 * @error: return location for a #GError
 *
 * Parses a numpy type string (what `numpy.dtype.str` gives) and returns the
 * size of one element: the number after the kind letter, times four for
 * `U` (numpy stores UCS-4).
 *
 * Only the types numpy has are accepted: `b1`; `i` and `u` in 1, 2, 4 or 8
 * bytes; `f` in 2, 4, 8 or 16; `c` in 8, 16 or 32; `m8` and `M8`, with or
 * without a unit; `S`, `U` and `V` of any size from 1. Each may start with
 * a byte order, `<`, `>`, `|` or `=`.
 *
 * Returns: the element size in bytes, or 0 with %MPAIO_ERROR_INVALID_LAYOUT
 */
gsize
mpaio_dtype_get_element_size (const char  *dtype,
                              GError     **error)
{
  const FixedKind *fixed = NULL;
  guint64 count;
  char kind;

  g_return_val_if_fail (dtype != NULL, 0);

  if (!parse_dtype (dtype, &kind, &count))
    {
      set_dtype_error (error, dtype, NULL);
      return 0;
    }

  fixed = find_fixed_kind (kind);
  if (fixed != NULL && !has_size (fixed, count))
    {
      set_dtype_error (error, dtype, fixed);
      return 0;
    }

  return kind == 'U' ? count * 4 : count;
}
