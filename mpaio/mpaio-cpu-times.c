/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "mpaio-cpu-monitor-private.h"
#include "mpaio-i18n-private.h"

/* Reading /proc/stat, for MpaioCpuMonitor: a parser that takes whatever
 * the file holds, and the usage between two readings. */

#define MAX_CORES 8192          /* the kernel's largest NR_CPUS */

static gboolean
parse_u64 (const char **p,
           const char  *end,
           guint64     *value)
{
  const char *q = *p;
  guint64 v = 0;

  while (q < end && *q == ' ')
    q++;

  if (q == end || !g_ascii_isdigit (*q))
    return FALSE;

  for (; q < end && g_ascii_isdigit (*q); q++)
    {
      guint digit = *q - '0';

      if (v > (G_MAXUINT64 - digit) / 10)
        return FALSE;
      v = v * 10 + digit;
    }

  *p = q;
  *value = v;
  return TRUE;
}

/* "cpuN user nice system idle iowait irq softirq steal guest guest_nice";
 * kernels before 2.6 stop after idle. The "cpu" line is the sum. */
static void
parse_line (const char *p,
            const char *end,
            GArray     *times)
{
  guint64 fields[8] = { 0 };
  guint n_fields = 0;
  guint64 index;
  MpaioCpuTimes *core;

  if (end - p < 4 || memcmp (p, "cpu", 3) != 0 || !g_ascii_isdigit (p[3]))
    return;

  p += 3;
  if (!parse_u64 (&p, end, &index) || index >= MAX_CORES)
    return;

  while (n_fields < G_N_ELEMENTS (fields) && parse_u64 (&p, end, &fields[n_fields]))
    n_fields++;
  if (n_fields < 4)
    return;

  if (index >= times->len)
    g_array_set_size (times, index + 1);

  core = &g_array_index (times, MpaioCpuTimes, index);
  core->idle = fields[3] + fields[4];
  core->total = 0;
  for (guint i = 0; i < n_fields; i++)
    core->total += fields[i];
  core->present = TRUE;
}

/*
 * mpaio_cpu_times_parse:
 * @text: the contents of /proc/stat
 * @length: the length of @text
 *
 * Returns: the times of each core by core number, where cores that were
 *   not listed are not present; or %NULL if no core was listed
 */
GArray *
mpaio_cpu_times_parse (const char  *text,
                       gsize        length,
                       GError     **error)
{
  g_autoptr(GArray) times = g_array_new (FALSE, TRUE, sizeof (MpaioCpuTimes));
  const char *end = text + length;

  for (const char *line = text; line < end;)
    {
      const char *newline = memchr (line, '\n', end - line);
      const char *line_end = newline != NULL ? newline : end;

      parse_line (line, line_end, times);
      line = line_end + 1;
    }

  if (times->len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The processor statistics list no processor core "
                             "(no “cpu0” line)"));
      return NULL;
    }

  return g_steal_pointer (&times);
}

/*
 * mpaio_cpu_times_usage:
 *
 * Returns: the share of the time between two readings of a core that it
 *   was not idle, from 0 to 1; 0 when either reading lacks the core or the
 *   counters did not move forward
 */
double
mpaio_cpu_times_usage (const MpaioCpuTimes *previous,
                       const MpaioCpuTimes *current)
{
  guint64 total, idle;

  if (!previous->present || !current->present ||
      current->total <= previous->total || current->idle < previous->idle)
    return 0.0;

  total = current->total - previous->total;
  idle = current->idle - previous->idle;

  return idle >= total ? 0.0 : (double) (total - idle) / total;
}
