# SPDX-License-Identifier: LGPL-2.1-or-later
"""Plain SVG for bench/compare: no plotting library needed.

The colours of the peers, the pieces of a chart, and a log-log line chart
of time against a count (array size, chunk count).
"""

import html
import math

PEER_COLOURS = {
    "mpaio": "#1f77b4",
    "mpaio-warm": "#6baed6",
    "mpaio-thread": "#9467bd",
    "mpaio-thread-warm": "#c5b0d5",
    "forked": "#8c564b",
    "forked-warm": "#c49c94",
    "mpaio-py": "#17becf",
    "seed": "#d62728",
    "joblib": "#ff7f0e",
    "c-serial": "#7f7f7f",
    "openmp": "#2ca02c",
    "mpaio-mpi": "#393b79",
    "mpaio-mpi-warm": "#6b6ecf",
    "mpaio-mpi-local": "#637939",
    "mpaio-mpi-local-warm": "#b5cf6b",
    "mpaio-mpi-launched": "#843c39",
    "mpaio-mpi-launched-warm": "#d6616b",
    "mpi": "#7b4173",
    "mpi-warm": "#ce6dbd",
    "mpi4py": "#8c6d31",
    "mpi4py-warm": "#e7ba52",
}


def fmt_decade(exponent):
    """10 ** exponent seconds as "1 s", "100 ms", "10 µs", ..."""
    for unit, scale in (("s", 0), ("ms", -3), ("µs", -6), ("ns", -9)):
        if exponent >= scale or unit == "ns":
            return f"{10 ** (exponent - scale):g} {unit}"
    raise AssertionError


def fmt_seconds(s):
    if s is None:
        return "-"
    if s >= 1:
        return f"{s:.3f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.1f} µs"


def svg_document(width, height, body):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" '
            f'font-family="sans-serif" font-size="12">\n'
            f'<rect width="{width}" height="{height}" fill="white"/>\n'
            + "\n".join(body) + "\n</svg>\n")


def svg_text(x, y, text, anchor="middle", size=12, extra=""):
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" '
            f'font-size="{size}" {extra}>{html.escape(text)}</text>')


def svg_legend(names, x, y):
    body = []
    for i, n in enumerate(names):
        body.append(f'<rect x="{x}" y="{y + i * 18}" width="12" height="12" '
                    f'fill="{PEER_COLOURS.get(n, "#000")}"/>')
        body.append(svg_text(x + 18, y + i * 18 + 10, n, anchor="start"))
    return body


SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def fmt_power(x):
    """1e5 as "10⁵", 3e5 as "3·10⁵", and counts below 1000 as they are."""
    if x < 1000 and x == int(x):
        return str(int(x))
    exponent = math.floor(math.log10(x) + 1e-9)
    mantissa = x / 10 ** exponent
    power = "10" + str(exponent).translate(SUPERSCRIPT)
    return power if abs(mantissa - 1) < 1e-9 else f"{mantissa:g}·{power}"


def loglog_svg(title, subtitle, xlabel, series, dashed=()):
    """Lines of seconds against a count, both on log scales.

    series maps a name to [(count, seconds)]; names in dashed are drawn
    dashed in the colour of the name without its -warm suffix."""
    points = [pt for pts in series.values() for pt in pts]
    x_lo = math.floor(math.log10(min(x for x, _ in points)))
    x_hi = max(math.ceil(math.log10(max(x for x, _ in points))), x_lo + 1)
    y_lo = math.floor(math.log10(min(y for _, y in points)))
    y_hi = max(math.ceil(math.log10(max(y for _, y in points))), y_lo + 1)

    width, height = 760, 480
    left, right, top, bottom = 80, 170, 60, 55
    plot_w, plot_h = width - left - right, height - top - bottom

    def x_of(x):
        return left + plot_w * (math.log10(x) - x_lo) / (x_hi - x_lo)

    def y_of(y):
        return top + plot_h * (y_hi - math.log10(y)) / (y_hi - y_lo)

    body = [svg_text(width / 2, 22, title, size=15),
            svg_text(width / 2, 40, subtitle, size=11, extra='fill="#555"')]
    for e in range(y_lo, y_hi + 1):
        y = y_of(10.0 ** e)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" '
                    f'y2="{y:.1f}" stroke="#ddd"/>')
        body.append(svg_text(left - 6, y + 4, fmt_decade(e), anchor="end"))
    for e in range(x_lo, x_hi + 1):
        x = x_of(10.0 ** e)
        body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" '
                    f'y2="{top + plot_h}" stroke="#eee"/>')
        body.append(svg_text(x, top + plot_h + 18, fmt_power(10.0 ** e)))
    body.append(f'<rect x="{left}" y="{top}" width="{plot_w}" '
                f'height="{plot_h}" fill="none" stroke="black"/>')
    body.append(svg_text(left + plot_w / 2, height - 12, xlabel))
    body.append(svg_text(18, top + plot_h / 2, "median time", extra=(
        f'transform="rotate(-90 18 {top + plot_h / 2})"')))

    for name, pts in series.items():
        base = name.removesuffix("-warm")
        colour = PEER_COLOURS.get(base, "#000")
        dash = ' stroke-dasharray="6 4"' if name in dashed else ""
        body.append(f'<polyline fill="none" stroke-width="2" stroke="{colour}"'
                    f'{dash} points="' + " ".join(
                        f"{x_of(x):.1f},{y_of(y):.1f}" for x, y in pts) + '"/>')
        for x, y in pts:
            body.append(f'<circle cx="{x_of(x):.1f}" cy="{y_of(y):.1f}" r="3" '
                        f'fill="{colour}"><title>{html.escape(name)}, '
                        f'{fmt_power(x)}: {y:.3g} s</title></circle>')

    lx, ly = left + plot_w + 20, top + 10
    for i, name in enumerate(series):
        colour = PEER_COLOURS.get(name.removesuffix("-warm"), "#000")
        dash = ' stroke-dasharray="6 4"' if name in dashed else ""
        y = ly + i * 18 + 6
        body.append(f'<line x1="{lx}" y1="{y}" x2="{lx + 24}" y2="{y}" '
                    f'stroke="{colour}" stroke-width="2"{dash}/>')
        body.append(svg_text(lx + 30, y + 4, name, anchor="start"))
    return svg_document(width, height, body)
