#!/usr/bin/env python3
"""Plots how cost grows with the number of citations: wall time and peak memory of each
phase against size, both axes logarithmic, as one SVG (no plotting library needed).

usage: plot_scale.py RESULTS.tsv OUT.svg
RESULTS.tsv: a header line, then one line per size: citations, then for each phase its wall
seconds and peak MB (columns named PHASE_s and PHASE_mb).
"""
import math
import sys

rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
head, data = rows[0], [[float(v) for v in r] for r in rows[1:] if r and r[0]]
phases = [h[:-2] for h in head if h.endswith("_s")]
colours = ["#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6c4f9e", "#555555"]
W, H, PAD, GAP = 460, 320, 60, 40


def panel(x0, title, suffix, unit):
    xs = [r[0] for r in data]
    ys = [r[head.index(p + suffix)] for r in data for p in phases]
    ys = [y for y in ys if y > 0]
    lx0, lx1 = math.floor(math.log10(min(xs))), math.ceil(math.log10(max(xs)))
    ly0, ly1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    ly1 = max(ly1, ly0 + 1)
    sx = lambda v: x0 + PAD + (math.log10(v) - lx0) / (lx1 - lx0) * (W - PAD - 40)
    sy = lambda v: H - PAD + 20 - (math.log10(v) - ly0) / (ly1 - ly0) * (H - PAD - 20)
    out = [f'<text x="{x0 + W / 2}" y="16" text-anchor="middle" font-weight="bold">{title}</text>']
    for e in range(lx0, lx1 + 1):
        x = sx(10 ** e)
        out.append(f'<line x1="{x:.1f}" y1="{sy(10 ** ly0):.1f}" x2="{x:.1f}" y2="{sy(10 ** ly1):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="{sy(10 ** ly0) + 16:.1f}" text-anchor="middle">{10 ** e:,}</text>')
    for e in range(ly0, ly1 + 1):
        y = sy(10 ** e)
        out.append(f'<line x1="{sx(10 ** lx0):.1f}" y1="{y:.1f}" x2="{sx(10 ** lx1):.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        label = f"{10 ** e:g}"
        out.append(f'<text x="{sx(10 ** lx0) - 6:.1f}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    out.append(f'<text x="{x0 + W / 2}" y="{H + 14}" text-anchor="middle">citations</text>')
    out.append(f'<text x="{x0 + 14}" y="{H / 2}" text-anchor="middle" transform="rotate(-90 {x0 + 14} {H / 2})">{unit}</text>')
    for i, p in enumerate(phases):
        pts = [(sx(r[0]), sy(r[head.index(p + suffix)])) for r in data if r[head.index(p + suffix)] > 0]
        c = colours[i % len(colours)]
        out.append(f'<polyline fill="none" stroke="{c}" stroke-width="2" points="' +
                   " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
        out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{c}"/>' for x, y in pts]
    return out


body = panel(0, "Wall time", "_s", "seconds") + panel(W + GAP, "Peak memory", "_mb", "MB")
for i, p in enumerate(phases):
    x = 80 + i * 130
    c = colours[i % len(colours)]
    body.append(f'<rect x="{x}" y="{H + 28}" width="12" height="12" fill="{c}"/>')
    body.append(f'<text x="{x + 18}" y="{H + 39}">{p}</text>')
svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * W + GAP}" height="{H + 52}" '
       f'font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/>'
       + "".join(body) + "</svg>\n")
open(sys.argv[2], "w").write(svg)
