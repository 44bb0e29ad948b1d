#!/usr/bin/env python3
"""Puts the sections benches/run ran into docs/benchmarks.md, leaving every other section as
it was (a rerun of three benchmarks does not throw away the rest, nor the notes written
between the generated sections).

usage: merge_docs.py DOC HEADER SUMMARY [TITLE=SECTION_FILE ...]

HEADER is the file's opening (machine, versions, how to read the numbers), written anew;
SUMMARY the summary table's rows for this run. Each TITLE's section (`## TITLE` up to the
next `## ` heading) is replaced by SECTION_FILE's text, or appended when the document has
none. The rows of SUMMARY go to a section of their own, `## Summary of the latest run`,
replaced each time.
"""

import sys

SUMMARY_TITLE = "Summary of the latest run"


def split_sections(text):
    """The document's opening, then (heading, body) for each `## ` section, in order."""
    parts = ("\n" + text).split("\n## ")
    head = parts[0].lstrip("\n")
    sections = []
    for part in parts[1:]:
        heading, _, body = part.partition("\n")
        sections.append((heading.strip(), body))
    return head, sections


def merge(doc, header, summary, replaced):
    """`doc` with `header` as its opening and the sections of `replaced` (title, body)
    put in place; the summary rows first among the sections."""
    _, sections = split_sections(doc)
    table = (
        "\n| comparison | tool | median wall (s) | median CPU (s) | peak memory (MB) | rate |"
        " ratio (goal) |\n| --- | --- | ---: | ---: | ---: | ---: | --- |\n" + summary
    )
    wanted = [(SUMMARY_TITLE, table)] + replaced
    out = []
    done = set()
    for heading, body in sections:
        match = [b for (t, b) in wanted if t == heading]
        if match:
            out.append((heading, match[0]))
            done.add(heading)
        else:
            out.append((heading, body))
    missing = [(t, b) for (t, b) in wanted if t not in done]
    # The summary leads; new benchmark sections follow the others.
    out = [s for s in missing if s[0] == SUMMARY_TITLE] + out
    out += [s for s in missing if s[0] != SUMMARY_TITLE]
    text = header.rstrip("\n") + "\n"
    for heading, body in out:
        text += "\n## " + heading + "\n" + body.rstrip("\n") + "\n"
    return text


def main(argv):
    doc_path, header_path, summary_path = argv[1:4]
    try:
        with open(doc_path, encoding="utf-8") as f:
            doc = f.read()
    except FileNotFoundError:
        doc = ""
    with open(header_path, encoding="utf-8") as f:
        header = f.read()
    with open(summary_path, encoding="utf-8") as f:
        summary = f.read()
    replaced = []
    for arg in argv[4:]:
        title, _, path = arg.partition("=")
        with open(path, encoding="utf-8") as f:
            replaced.append((title, "\n" + f.read()))
    with open(doc_path, "w", encoding="utf-8") as f:
        f.write(merge(doc, header, summary, replaced))


if __name__ == "__main__":
    main(sys.argv)
