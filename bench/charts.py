# SPDX-License-Identifier: LGPL-2.1-or-later
"""The charts of bench/compare: median times per workload as grouped bars,
and throughput against the worker count."""

import html
import math

from svgplot import (PEER_COLOURS, fmt_decade, fmt_seconds, svg_document,
                     svg_legend, svg_text)


def bar_chart_svg(cells, names, workloads, info, args):
    """Grouped bars: median seconds per workload per peer, log scale."""
    names = [n for n in names
             if any(cells[w, n].median is not None for w in workloads)]
    values = [cells[w, n].median for w in workloads for n in names
              if cells[w, n].median is not None]
    floor = 1e-7  # a serial C startup can round to ~0 s
    width, height = 900, 500
    left, right, top, bottom = 80, 130, 60, 50
    plot_w, plot_h = width - left - right, height - top - bottom

    # Decades lo..hi; hi may be fractional so that the tallest bar leaves
    # `room` pixels for its value label.
    room = 55 / plot_h
    lo = math.floor(math.log10(max(min(values), floor)))
    top_value = math.log10(max(max(values), floor))
    hi = max(top_value + 0.1, lo + 1, (top_value - room * lo) / (1 - room))

    def y_of(v):
        v = max(v, floor)
        return top + plot_h * (hi - math.log10(v)) / (hi - lo)

    runs = f"{args.repeat} run{'s' if args.repeat > 1 else ''}"
    body = [svg_text(width / 2, 22, f"Median time per workload "
                     f"({args.workers} workers, {runs}, log scale)", size=15),
            svg_text(width / 2, 40, f"{info['cpu']}, Linux {info['kernel']}",
                     size=11, extra='fill="#555"')]
    for e in range(lo, math.floor(hi) + 1):
        y = y_of(10.0 ** e)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" '
                    f'y2="{y:.1f}" stroke="#ddd"/>')
        body.append(svg_text(left - 6, y + 4, fmt_decade(e), anchor="end"))
    body.append(f'<line x1="{left}" y1="{top}" x2="{left}" '
                f'y2="{top + plot_h}" stroke="black"/>')
    body.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" '
                f'y2="{top + plot_h}" stroke="black"/>')
    body.append(svg_text(14, top + plot_h / 2, "median time", extra=(
        f'transform="rotate(-90 14 {top + plot_h / 2})"')))

    group_w = plot_w / len(workloads)
    bar_w = group_w * 0.8 / max(len(names), 1)
    for gi, w in enumerate(workloads):
        gx = left + gi * group_w + group_w * 0.1
        body.append(svg_text(left + (gi + 0.5) * group_w, top + plot_h + 20, w,
                             size=13))
        for bi, n in enumerate(names):
            m = cells[w, n].median
            if m is None:
                continue
            x, y = gx + bi * bar_w, y_of(m)
            colour = PEER_COLOURS.get(n, "#000")
            title = html.escape(f"{w} / {n}: {fmt_seconds(m)}")
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" '
                f'height="{top + plot_h - y:.1f}" fill="{colour}">'
                f'<title>{title}</title></rect>')
            lx, ly = x + bar_w / 2 + 2, y - 4  # value label, rotated upwards
            body.append(svg_text(lx, ly, fmt_seconds(m), anchor="start", size=9,
                                 extra=f'transform="rotate(-90 {lx:.1f} {ly:.1f})"'))
    body += svg_legend(names, left + plot_w + 20, top + 10)
    return svg_document(width, height, body)


def scaling_svg(scaling, info, peers, elements):
    """Lines: throughput (elements/s) of a workload of `elements` against
    the number of workers, for each of `peers` measured."""
    counts = sorted({k[1] for k in scaling})
    names = [n for n in peers
             if any(scaling.get((n, k)) and scaling[n, k].median for k in counts)]
    rates = {(n, k): elements / scaling[n, k].median
             for n in names for k in counts if scaling[n, k].median}
    top_rate = max(rates.values())
    step = 10 ** math.floor(math.log10(top_rate))
    for mult in (1, 2, 5, 10):  # nice tick step, about 4-10 ticks
        if top_rate / (step * mult) <= 8:
            step *= mult
            break
    y_max = step * math.ceil(top_rate / step)

    width, height = 700, 440
    left, right, top, bottom = 80, 120, 50, 55
    plot_w, plot_h = width - left - right, height - top - bottom

    def x_of(k):
        if len(counts) == 1:
            return left + plot_w / 2
        return left + plot_w * (k - counts[0]) / (counts[-1] - counts[0])

    def y_of(v):
        return top + plot_h * (1 - v / y_max)

    body = [svg_text(width / 2, 22, "mix throughput vs workers (median)", size=15),
            svg_text(width / 2, 40, f"{info['cpu']} ({info['cpus']} CPUs), "
                     f"Linux {info['kernel']}", size=11, extra='fill="#555"')]
    tick = 0.0
    while tick <= y_max + step / 2:
        y = y_of(tick)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" '
                    f'y2="{y:.1f}" stroke="#ddd"/>')
        body.append(svg_text(left - 6, y + 4, f"{tick / 1e6:g}M", anchor="end"))
        tick += step
    for k in counts:
        body.append(svg_text(x_of(k), top + plot_h + 18, str(k)))
    body.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" '
                f'stroke="black"/>')
    body.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" '
                f'y2="{top + plot_h}" stroke="black"/>')
    body.append(svg_text(left + plot_w / 2, height - 12, "workers"))
    body.append(svg_text(18, top + plot_h / 2, "elements / s", extra=(
        f'transform="rotate(-90 18 {top + plot_h / 2})"')))
    for n in names:
        colour = PEER_COLOURS.get(n, "#000")
        pts = [(x_of(k), y_of(rates[n, k])) for k in counts if (n, k) in rates]
        body.append('<polyline fill="none" stroke-width="2" stroke="'
                    + colour + '" points="'
                    + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
        for k in counts:
            if (n, k) not in rates:
                continue
            title = html.escape(f"{n}, {k} workers: "
                                f"{rates[n, k] / 1e6:.1f} M elements/s")
            body.append(f'<circle cx="{x_of(k):.1f}" cy="{y_of(rates[n, k]):.1f}" '
                        f'r="4" fill="{colour}"><title>{title}</title></circle>')
    body += svg_legend(names, left + plot_w + 20, top + 10)
    return svg_document(width, height, body)
