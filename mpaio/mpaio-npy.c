/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <inttypes.h>

#include <string.h>

#include "mpaio-data-iterator.h"
#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-npy-private.h"

/* The .npy format (numpy.lib.format): the magic "\x93NUMPY", a major and a
 * minor version byte, the header's length (2 bytes little-endian in
 * version 1, 4 in versions 2 and 3), then the header: a Python dict literal
 * such as {'descr': '<i8', 'fortran_order': False, 'shape': (10, 3), },
 * padded with spaces and a newline, and the data right after it. The file
 * is untrusted: the header is parsed by hand, for exactly that grammar and
 * within the file's bounds, never evaluated. */

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_MAX_HEADER (1024 * 1024)
#define NPY_MAX_STRING 64

typedef struct
{
  const char *p;
  const char *end;
  GError    **error;
  char        quoted[24];
} Parser;

void
mpaio_array_info_free (MpaioArrayInfo *info)
{
  g_free (info->dtype);
  g_free (info->shape);
  g_free (info);
}

static gboolean
fail (GError    **error,
      const char *format,
      ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (GError    **error,
      const char *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT,
               _("Not a usable .npy file: %s"), message);
  return FALSE;
}

/* Checks the layout against a file of @size bytes and builds it. */
MpaioArrayInfo *
mpaio_array_info_new (const char     *dtype,
                      const guint64  *shape,
                      guint           n_dims,
                      guint64         offset,
                      guint64         size,
                      GError        **error)
{
  g_autoptr(MpaioArrayInfo) info = g_new0 (MpaioArrayInfo, 1);
  guint64 n_elements = 1, n_bytes;

  if ((info->element_size = mpaio_dtype_get_element_size (dtype, error)) == 0)
    return NULL;

  for (guint i = 0; i < n_dims; i++)
    if (!g_uint64_checked_mul (&n_elements, n_elements, shape[i]))
      {
        fail (error, _("its shape has more elements than can be counted"));
        return NULL;
      }

  if (!g_uint64_checked_mul (&n_bytes, n_elements, info->element_size) ||
      offset > size || n_bytes > size - offset)
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT,
                   _("The file is too short: its array of %" PRIu64 " elements of "
                     "%zu bytes from byte %" PRIu64 " does not fit in its %" PRIu64
                     " bytes; the file may be truncated"),
                   n_elements, info->element_size, offset, size);
      return NULL;
    }

  info->dtype = g_strdup (dtype);
  info->shape = g_memdup2 (shape, MAX (n_dims, 1) * sizeof (guint64));
  info->n_dims = n_dims;
  info->offset = offset;
  info->n_elements = n_elements;
  return g_steal_pointer (&info);
}

static void
skip_spaces (Parser *parser)
{
  while (parser->p < parser->end && g_ascii_isspace (*parser->p))
    parser->p++;
}

/* A few bytes of the header from where the parser is, printable. */
static const char *
quote (Parser *parser)
{
  char *text = parser->quoted;
  gsize n = MIN (parser->end - parser->p, 20);

  if (n == 0)
    return _("the end");

  for (gsize i = 0; i < n; i++)
    text[i] = g_ascii_isprint (parser->p[i]) ? parser->p[i] : '?';
  text[n] = '\0';
  return text;
}

static gboolean
expect (Parser *parser,
        char    c)
{
  skip_spaces (parser);
  if (parser->p < parser->end && *parser->p == c)
    {
      parser->p++;
      return TRUE;
    }

  return fail (parser->error, _("its header has “%s” where “%c” belongs"),
               quote (parser), c);
}

static gboolean
peek (Parser *parser,
      char    c)
{
  skip_spaces (parser);
  return parser->p < parser->end && *parser->p == c;
}

/* A Python string literal without escapes, as numpy writes them. */
static char *
parse_string (Parser *parser)
{
  const char *start = NULL, *problem = NULL;
  char quote;

  skip_spaces (parser);
  if (parser->p >= parser->end || (*parser->p != '\'' && *parser->p != '"'))
    problem = _("its header has no string where one belongs");
  else
    {
      quote = *parser->p++;
      for (start = parser->p; parser->p < parser->end && *parser->p != quote && !problem; parser->p++)
        if (*parser->p == '\\' || parser->p - start >= NPY_MAX_STRING || !g_ascii_isprint (*parser->p))
          problem = _("its header has a string Mpaio does not read");

      if (!problem && parser->p >= parser->end)
        problem = _("its header has an unterminated string");
    }

  if (problem != NULL)
    {
      fail (parser->error, "%s", problem);
      return NULL;
    }

  return g_strndup (start, parser->p++ - start);
}

static gboolean
parse_bool (Parser   *parser,
            gboolean *value)
{
  skip_spaces (parser);
  if (parser->end - parser->p >= 4 && memcmp (parser->p, "True", 4) == 0)
    {
      parser->p += 4;
      return (*value = TRUE);
    }

  if (parser->end - parser->p >= 5 && memcmp (parser->p, "False", 5) == 0)
    {
      parser->p += 5;
      *value = FALSE;
      return TRUE;
    }

  return fail (parser->error, _("its “fortran_order” is neither True nor False"));
}

/* A non-negative integer; Python 2 wrote longs with an "L". */
static gboolean
parse_dimension (Parser  *parser,
                 guint64 *value)
{
  const char *start;

  skip_spaces (parser);
  *value = 0;
  for (start = parser->p; parser->p < parser->end && g_ascii_isdigit (*parser->p); parser->p++)
    if (!g_uint64_checked_mul (value, *value, 10) ||
        !g_uint64_checked_add (value, *value, *parser->p - '0'))
      return fail (parser->error, _("a dimension of its shape is too large"));

  if (parser->p == start)
    return fail (parser->error, _("its shape is not a tuple of non-negative integers"));

  if (parser->p < parser->end && *parser->p == 'L')
    parser->p++;

  return TRUE;
}

static gboolean
parse_shape (Parser  *parser,
             guint64 *shape,
             guint   *n_dims)
{
  if (!expect (parser, '('))
    return FALSE;

  for (*n_dims = 0; !peek (parser, ')'); (*n_dims)++)
    {
      if (*n_dims == MPAIO_NPY_MAX_DIMS)
        return fail (parser->error, _("its shape has more than %d dimensions"), MPAIO_NPY_MAX_DIMS);

      if (!parse_dimension (parser, &shape[*n_dims]))
        return FALSE;

      if (!peek (parser, ')') && !expect (parser, ','))
        return FALSE;
    }

  return expect (parser, ')');
}

typedef struct
{
  char    *descr;
  gboolean fortran_order;
  gboolean has_fortran_order;
  guint64  shape[MPAIO_NPY_MAX_DIMS];
  guint    n_dims;
  gboolean has_shape;
} Header;

static gboolean
parse_entry (Parser *parser,
             Header *header)
{
  g_autofree char *key = parse_string (parser);

  if (key == NULL || !expect (parser, ':'))
    return FALSE;

  if (g_str_equal (key, "descr") && header->descr == NULL)
    {
      if (peek (parser, '['))
        return fail (parser->error, _("it holds a structured dtype, which Mpaio does not "
                                      "cut; save each field as an array of its own"));
      return (header->descr = parse_string (parser)) != NULL;
    }

  if (g_str_equal (key, "fortran_order") && !header->has_fortran_order)
    return (header->has_fortran_order = parse_bool (parser, &header->fortran_order));

  if (g_str_equal (key, "shape") && !header->has_shape)
    return (header->has_shape = parse_shape (parser, header->shape, &header->n_dims));

  return fail (parser->error, _("its header has an unexpected or repeated key “%s”"), key);
}

static gboolean
parse_header (Parser *parser,
              Header *header)
{
  if (!expect (parser, '{'))
    return FALSE;

  while (!peek (parser, '}'))
    {
      if (!parse_entry (parser, header))
        return FALSE;
      if (!peek (parser, '}') && !expect (parser, ','))
        return FALSE;
    }
  parser->p++;
  skip_spaces (parser);

  if (parser->p != parser->end)
    return fail (parser->error, _("its header goes on after the dict"));

  if (header->descr == NULL || !header->has_fortran_order || !header->has_shape)
    return fail (parser->error, _("its header lacks “descr”, “fortran_order” or “shape”"));

  if (header->fortran_order)
    return fail (parser->error, _("it is in Fortran (column) order, and Mpaio cuts arrays in "
                                  "C order; save numpy.ascontiguousarray(array) instead"));

  return TRUE;
}

/* Where the header is and how long, from the preamble. */
static gboolean
parse_preamble (const guint8 *data,
                guint64       size,
                guint64      *header_start,
                guint64      *header_length,
                GError      **error)
{
  if (size < NPY_MAGIC_LEN + 4 || memcmp (data, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
    return fail (error, _("it does not start with numpy’s magic string; for a raw "
                          "file, give the dtype of its elements"));

  switch (data[6])
    {
    case 1:
      *header_start = 10;
      *header_length = data[8] | (data[9] << 8);
      break;

    case 2:
    case 3:
      *header_start = 12;
      *header_length = size < 12 ? 0 : (data[8] | (data[9] << 8) | (data[10] << 16) |
                                        ((guint64) data[11] << 24));
      break;

    default:
      return fail (error, _("it is in format version %u.%u, and Mpaio reads 1.0 to 3.0"),
                   data[6], data[7]);
    }

  if (*header_length > NPY_MAX_HEADER || *header_start + *header_length > size)
    return fail (error, _("its header of %" PRIu64 " bytes runs past the end of the file "
                          "or is longer than %d bytes"), *header_length, NPY_MAX_HEADER);

  return TRUE;
}

/* Reads the layout of the .npy file mapped at @data, @size bytes long. */
MpaioArrayInfo *
mpaio_npy_parse (const guint8  *data,
                 guint64        size,
                 GError       **error)
{
  Header header = { NULL, };
  guint64 start = 0, length = 0;
  Parser parser = { .error = error };
  MpaioArrayInfo *info = NULL;

  if (!parse_preamble (data, size, &start, &length, error))
    return NULL;

  parser.p = (const char *) data + start;
  parser.end = parser.p + length;
  if (parse_header (&parser, &header))
    info = mpaio_array_info_new (header.descr, header.shape, header.n_dims, start + length,
                                 size, error);

  g_free (header.descr);
  return info;
}
