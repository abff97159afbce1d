#!/usr/bin/env python3
"""Draws a Grafana dashboard JSON model headlessly, laid out as Grafana would (docs/dashboard.png).

    hack/render-dashboard.py [SCRAPE_DIR] [--dashboard FILE] [--out FILE]

SCRAPE_DIR holds Prometheus text-format scrapes of /prometheus named <unix-seconds>.prom. Each panel
plots the series of the metrics its queries select: counters as per-second rates between scrapes
(or as increases over the query's window for increase()), gauges as values, histogram_quantile()
as the mean (_sum/_count rates), a ratio of two selectors as their ratio; summed by the labels of
the query's first `by (...)`. This is no PromQL engine: it shows what the data looks like. Without
SCRAPE_DIR each panel shows its query text.
"""
import argparse
import json
import re
import textwrap
from datetime import datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

BG, PANEL, BORDER, TEXT, DIM = "#111217", "#181b1f", "#2c3235", "#ccccdc", "#8e8e99"
PALETTE = ["#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c", "#5794f2", "#b877d9",
           "#705da0", "#37872d", "#fade2a", "#ff9830", "#c4162a"]
COL_PX, ROW_PX, HEADER_PX, PAD = 70, 32, 56, 4

SAMPLE = re.compile(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)")
LABEL = re.compile(r'(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"')
MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"')
SELECTOR = re.compile(r"\b([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}")
BY = re.compile(r"\bby\s*\(([^)]*)\)")
WINDOW = re.compile(r"increase\([^\[]*\[(\d+)([smhd])\]")
COUNTER_SUFFIXES = ("_total", "_count", "_sum", "_bucket")


def read_scrapes(directory):
    """[(unix seconds, {(name, labels): value})], oldest first."""
    scrapes = []
    for path in sorted(Path(directory).glob("*.prom"), key=lambda p: float(p.stem)):
        samples = {}
        for line in path.read_text().splitlines():
            m = SAMPLE.match(line)
            if m and not line.startswith("#"):
                labels = frozenset(LABEL.findall(m.group(2) or ""))
                try:
                    samples[(m.group(1), labels)] = float(m.group(3))
                except ValueError:
                    pass
        scrapes.append((float(path.stem), samples))
    return scrapes


def matches(labels, matchers):
    values = dict(labels)
    for name, op, want in matchers:
        if "$" in want:  # a dashboard variable: every value
            continue
        have = values.get(name, "")
        ok = re.fullmatch(want, have) is not None if "~" in op else have == want
        if ok != (op in ("=", "=~")):
            return False
    return True


def series(scrapes, name, matchers, group_by, window):
    """{group key: [(t, value)]}: rate, windowed increase or gauge value, summed per group."""
    counter = name.endswith(COUNTER_SUFFIXES)
    out = {}
    for i, (t, samples) in enumerate(scrapes):
        if counter and i == 0:
            continue
        if counter and window:  # increase over the window: from the oldest scrape inside it
            j = next(k for k, (tk, _) in enumerate(scrapes) if tk >= t - window)
            j = min(j, i - 1)
        else:
            j = i - 1
        _, before = scrapes[j]
        t0 = scrapes[j][0]
        sums = {}
        for (n, labels), v in samples.items():
            if n != name or not matches(labels, matchers):
                continue
            if counter:
                delta = v - before.get((n, labels), 0.0)
                delta = v if delta < 0 else delta  # a counter reset
                v = delta if window else delta / (t - t0)
            key = tuple((k, dict(labels).get(k, "")) for k in group_by)
            sums[key] = sums.get(key, 0.0) + v
        for key, v in sums.items():
            out.setdefault(key, []).append((t, v))
    return out


def evaluate(target, scrapes):
    """[(legend, [(t, value)])] for one query."""
    expr, fmt = target.get("expr", ""), target.get("legendFormat", "")
    by = BY.search(expr)
    group_by = [g.strip() for g in by.group(1).split(",") if g.strip() not in ("", "le")] if by else []
    w = WINDOW.search(expr)
    window = int(w.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[w.group(2)] if w else 0
    selectors = [(n, MATCHER.findall(m)) for n, m in SELECTOR.findall(expr)]
    if "histogram_quantile" in expr:  # the mean instead of the quantile
        base = re.sub(r"_bucket$", "", selectors[0][0])
        selectors = [(base + "_sum", selectors[0][1]), (base + "_count", selectors[0][1])]
    results = [series(scrapes, n, m, group_by, window) for n, m in selectors]
    if not results:
        return []
    data = results[0]
    if len(results) == 2 and ("/" in expr or "histogram_quantile" in expr):
        den = {k: dict(v) for k, v in results[1].items()}
        data = {k: [(t, a / den[k][t]) for t, a in v if den.get(k, {}).get(t)] for k, v in data.items()}
    lines = []
    for key, points in sorted(data.items()):
        labels = dict(key)
        legend = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), fmt).strip()
        lines.append((legend or ", ".join(f"{k}={v}" for k, v in key if v) or selectors[0][0], points))
    return lines


def fmt_value(v, unit):
    if unit == "percentunit":
        return f"{v * 100:.0f}%" if abs(v) >= 0.1 else f"{v * 100:.1f}%"
    if unit == "s":
        return f"{v * 1000:.0f} ms" if abs(v) < 1 else f"{v:.1f} s"
    base, suffix = (1024, {"bytes": "B"}) if unit == "bytes" else (1000, {"Bps": "B/s"})
    suffix = {**suffix, "ops": " ops/s", "reqps": " req/s"}.get(unit, "")
    for prefix in ["", "K", "M", "G", "T"]:
        if abs(v) < base or prefix == "T":
            text = f"{v:.0f}" if v == int(v) or abs(v) >= 100 else f"{v:.2g}" if abs(v) < 1 else f"{v:.1f}"
            spacer = " " if prefix or suffix.startswith("B") else ""
            return f"{text}{spacer}{prefix}{'i' if prefix and base == 1024 else ''}{suffix}"
        v /= base


def panel_box(fig, gp, height_px):
    x, y = gp["x"] * COL_PX + PAD, HEADER_PX + gp["y"] * ROW_PX + PAD
    w, h = gp["w"] * COL_PX - 2 * PAD, gp["h"] * ROW_PX - 2 * PAD
    fw = 24 * COL_PX
    return x / fw, 1 - (y + h) / height_px, w / fw, h / height_px


def draw_panel(fig, panel, scrapes, height_px):
    left, bottom, width, height = panel_box(fig, panel["gridPos"], height_px)
    fig.add_artist(Rectangle((left, bottom), width, height, transform=fig.transFigure,
                             facecolor=PANEL, edgecolor=BORDER, linewidth=1, zorder=-1))
    title_y = bottom + height - 14 / height_px
    fig.text(left + 8 / (24 * COL_PX), title_y, panel.get("title", ""), color=TEXT,
             fontsize=9, fontweight="bold", va="center")
    if scrapes and any("histogram_quantile" in t.get("expr", "") for t in panel.get("targets", [])):
        fig.text(left + width - 8 / (24 * COL_PX), title_y, "quantile drawn as mean", color=DIM,
                 fontsize=7, ha="right", va="center")
    defaults = panel.get("fieldConfig", {}).get("defaults", {})
    unit = defaults.get("unit", "short")
    inner = (left + 0.004, bottom + 0.01, width - 0.008, height - 34 / height_px)
    if not scrapes:
        queries = "\n\n".join(t.get("expr", "") for t in panel.get("targets", []))
        wrapped = "\n".join(textwrap.fill(q, width=int(width * 24 * COL_PX / 6.2)) for q in queries.split("\n"))
        fig.text(inner[0] + 0.004, inner[1] + inner[3] - 0.004, wrapped, color=DIM, fontsize=6.5,
                 family="monospace", va="top", parse_math=False)
        return
    lines = [line for t in panel.get("targets", []) for line in evaluate(t, scrapes)]
    if panel["type"] == "stat":
        draw_stat(fig, inner, lines, unit, defaults)
    else:
        draw_timeseries(fig, inner, lines, unit, height_px, panel)


def draw_stat(fig, inner, lines, unit, defaults):
    steps = defaults.get("thresholds", {}).get("steps", [])
    fixed = defaults.get("color", {}).get("mode") == "fixed"
    lines = lines or [("No data", [(0, float("nan"))])]
    for i, (legend, points) in enumerate(lines):
        value = points[-1][1]
        color = "#5794f2" if fixed else next(
            (s["color"] for s in reversed(steps) if s["value"] is None or value >= s["value"]), TEXT)
        color = {"green": "#73bf69", "red": "#f2495c"}.get(color, color)
        x = inner[0] + inner[2] * (i + 0.5) / len(lines)
        text = "–" if value != value else fmt_value(value, unit)
        fig.text(x, inner[1] + inner[3] * 0.45, text, color=color, fontsize=20 if len(lines) < 3 else 15,
                 fontweight="bold", ha="center", va="center")
        fig.text(x, inner[1] + inner[3] * 0.08, legend, color=DIM, fontsize=8, ha="center")


def draw_timeseries(fig, inner, lines, unit, height_px, panel):
    shown = lines[:8]
    legend_rows = (len(shown) + 2) // 3
    legend_h = (legend_rows * 12 + 6) / height_px
    ax = fig.add_axes((inner[0] + 0.03, inner[1] + legend_h + 0.012, inner[2] - 0.035,
                       inner[3] - legend_h - 0.02))
    ax.set_facecolor(PANEL)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.tick_params(colors=DIM, labelsize=7, length=0)
    ax.grid(color=BORDER, linewidth=0.6)
    stack = panel.get("fieldConfig", {}).get("defaults", {}).get("custom", {}).get("stacking", {})
    below = {}
    for i, (legend, points) in enumerate(shown):
        color = PALETTE[i % len(PALETTE)]
        times = [datetime.fromtimestamp(t) for t, _ in points]
        values = [v for _, v in points]
        base = [below.get(t, 0.0) for t, _ in points] if stack.get("mode") == "normal" else [0.0] * len(values)
        top = [b + v for b, v in zip(base, values)]
        below.update({t: v for (t, _), v in zip(points, top)})
        ax.plot(times, top, color=color, linewidth=1.2, label=legend)
        ax.fill_between(times, base, top, color=color, alpha=0.12, linewidth=0)
    if not shown:
        ax.text(0.5, 0.5, "No data", color=DIM, ha="center", va="center", transform=ax.transAxes)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_value(v, unit)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=6))
    if shown:
        more = f" (+{len(lines) - len(shown)} more)" if len(lines) > len(shown) else ""
        leg = ax.legend(loc="upper left", bbox_to_anchor=(-0.05, -0.08), ncol=3, fontsize=6.5,
                        frameon=False, labelcolor=TEXT, handlelength=1.2, columnspacing=1.0,
                        title=more or None)
        if more:
            leg.get_title().set_color(DIM)
            leg.get_title().set_fontsize(6.5)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scrapes", nargs="?", help="directory of <unix-seconds>.prom scrapes")
    parser.add_argument("--dashboard", default="helm/buildserver/dashboards/buildserver.json")
    parser.add_argument("--out", default="docs/dashboard.png")
    args = parser.parse_args()
    dashboard = json.loads(Path(args.dashboard).read_text())
    scrapes = read_scrapes(args.scrapes) if args.scrapes else []
    if args.scrapes and len(scrapes) < 2:
        parser.error(f"{args.scrapes}: needs at least two <unix-seconds>.prom scrapes")
    panels = dashboard["panels"]
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)
    height_px = HEADER_PX + rows * ROW_PX + PAD
    fig = plt.figure(figsize=(24 * COL_PX / 100, height_px / 100), dpi=100, facecolor=BG)
    fig.text(12 / (24 * COL_PX), 1 - 20 / height_px, dashboard.get("title", ""), color=TEXT,
             fontsize=13, fontweight="bold", va="center")
    variables = "   ".join(f"{v.get('label') or v['name']}: {'Prometheus' if v['type'] == 'datasource' else 'All'}"
                           for v in dashboard.get("templating", {}).get("list", []))
    if scrapes:
        first, last = (datetime.fromtimestamp(s[0]).strftime("%Y-%m-%d %H:%M") for s in (scrapes[0], scrapes[-1]))
        variables += f"   ·   {first} to {last} ({len(scrapes)} scrapes)"
    fig.text(12 / (24 * COL_PX), 1 - 42 / height_px, variables, color=DIM, fontsize=8, va="center")
    for panel in panels:
        if panel["type"] == "row":
            left, bottom, width, height = panel_box(fig, panel["gridPos"], height_px)
            fig.text(left, bottom + height / 2, panel.get("title", ""), color=TEXT, fontsize=10,
                     fontweight="bold", va="center")
        else:
            draw_panel(fig, panel, scrapes, height_px)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, facecolor=BG)
    print(f"wrote {args.out} ({len(panels)} panels, {len(scrapes)} scrapes)")


if __name__ == "__main__":
    main()
