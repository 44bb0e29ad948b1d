#!/usr/bin/env python3
"""Generates a site for the scale benchmark and the pages it cites.

usage: gen_site.py OUT CITATIONS PORT [--site-only]

Writes OUT/site/NNNN/*.md: CITATIONS citations, 100 a file under a heading every 10, citing
CITATIONS/10 unique URLs (each cited 10 times, in different files) on CITATIONS/200 hosts
(20 pages each; hosts are loopback addresses 127.0.X.Y, so one nginx serves them all), and
(unless --site-only) OUT/www/<host>/p/<k>.html: each cited page, about 3 KB of varied HTML.
A smaller site cites a subset of a larger one's pages.
"""
import os
import random
import sys

out, citations, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
urls = max(citations // 10, 1)
pages_per_host = 20
hosts = max(urls // pages_per_host, 1)
words = ("policy summit safety declaration government agreement frontier model risk treaty "
         "minister report evaluation compute research institute international").split()


def host(h):
    return f"127.0.{h // 250}.{h % 250 + 1}"


def url(u):
    return f"http://{host(u % hosts)}:{port}/p/{u // hosts}.html"


# The cited pages.
rng = random.Random(1)
for h in range(0 if "--site-only" in sys.argv else hosts):
    d = f"{out}/www/{host(h)}/p"
    os.makedirs(d, exist_ok=True)
    for k in range(pages_per_host):
        if k * hosts + h >= urls:
            break
        paras = "".join("<p>" + " ".join(rng.choice(words) for _ in range(50)) + "</p>\n"
                        for _ in range(8))
        with open(f"{d}/{k}.html", "w") as f:
            f.write(f"<!doctype html><html><head><title>Report {h}-{k}</title></head>"
                    f"<body><main><h1>Report {h}-{k}</h1>{paras}</main></body></html>\n")

# The site: citation i cites URL (i * step) % urls, so each URL's ten citations fall in
# ten different files.
step = 7919 if urls % 7919 else 7907
per_file = 100
files = (citations + per_file - 1) // per_file
i = 0
for n in range(files):
    d = f"{out}/site/{n // 1000:04d}"
    os.makedirs(d, exist_ok=True)
    lines = [f"---\ntitle: Page {n}\n---\n", f"# Page {n}\n"]
    for j in range(per_file):
        if i >= citations:
            break
        if j % 10 == 0:
            lines.append(f"\n## Section {j // 10} {{#s{j // 10}}}\n\n")
        w = " ".join(rng.choice(words) for _ in range(6))
        lines.append(f"The {w} was announced ([source {i}]({url((i * step) % urls)})).\n")
        i += 1
    with open(f"{d}/page-{n}.md", "w") as f:
        f.write("".join(lines))
