/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The table of messages in docs/design.md says what mpaio-wire.c does:
 * the same kinds, names, directions and body types, no more, no less. */
#include "config.h"

#include <gio/gio.h>

#include "mpaio-wire-private.h"

static const char *
direction_of (MpaioMessageKind kind)
{
  gboolean from_pool = mpaio_message_kind_from_pool (kind);
  gboolean from_worker = mpaio_message_kind_from_worker (kind);

  if (from_pool && from_worker)
    return "both";
  return from_pool ? "pool → worker" : "worker → pool";
}

static void
test_table_matches_wire (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "docs", "design.md", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GRegex) row = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  gboolean seen[MPAIO_MESSAGE_LAST] = { FALSE, };

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);

  /* | 1 `HELLO` | worker → pool | `(ut)` version, pid | … */
  row = g_regex_new ("^\\| (\\d+) `(\\w+)` \\| ([^|]+?) \\| `([^`]+)`", G_REGEX_MULTILINE, 0, &error);
  g_assert_no_error (error);

  for (g_regex_match (row, text, 0, &match); g_match_info_matches (match); g_match_info_next (match, NULL))
    {
      g_autofree char *number = g_match_info_fetch (match, 1);
      g_autofree char *name = g_match_info_fetch (match, 2);
      g_autofree char *direction = g_match_info_fetch (match, 3);
      g_autofree char *body = g_match_info_fetch (match, 4);
      g_autofree char *wire_body = NULL;
      guint64 kind;

      g_test_message ("design.md: %s %s, %s, %s", number, name, direction, body);
      g_assert_true (g_ascii_string_to_unsigned (number, 10, 1, MPAIO_MESSAGE_LAST - 1, &kind, NULL));
      g_assert_false (seen[kind]);
      seen[kind] = TRUE;
      g_assert_cmpstr (name, ==, mpaio_message_kind_get_name (kind));
      g_assert_cmpstr (direction, ==, direction_of (kind));
      wire_body = g_variant_type_dup_string (mpaio_message_body_type (kind));
      g_assert_cmpstr (body, ==, wire_body);
    }

  for (MpaioMessageKind kind = 1; kind < MPAIO_MESSAGE_LAST; kind++)
    if (!seen[kind])
      g_error ("docs/design.md has no row for message %u %s", kind, mpaio_message_kind_get_name (kind));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mpaio/wire/design-table", test_table_matches_wire);

  return g_test_run ();
}
