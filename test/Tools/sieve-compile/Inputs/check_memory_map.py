#!/usr/bin/env python3
"""Checks a memory map written by `sieve-compile --memory-map` against the
JSON report of the same compilation.

    check_memory_map.py map.svg report.json [--expect-text TEXT]...

The SVG must parse as XML; its buffer boxes (class="buffer", data-id,
data-bytes, data-offset, data-first, data-last) must be exactly the report's
`memory.buffers`, with the same sharing; every box must sit where its numbers
say on the plot's scales (data-op-min, data-op-max, data-bytes-max on the
plot area), inside the plot; the arena, lower bound and budget lines must be
at their byte values. A plan without buffers must say that the model needs no
arena. --expect-text checks that some text element reads TEXT once parsed,
i.e. that special characters went through escaping and back. Prints
"memory map ok" or the first difference, with exit status 1.

Standard library only.
"""

import argparse
import json
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
# Coordinates are written with two decimals; a box's y + height may round
# twice.
TOLERANCE = 0.011


def fail(message):
    print("memory map check failed: " + message)
    sys.exit(1)


def close(a, b):
    return abs(a - b) <= TOLERANCE


def text_of(root):
    return ["".join(t.itertext()) for t in root.iter(SVG + "text")]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("svg")
    parser.add_argument("report")
    parser.add_argument("--expect-text", action="append", default=[])
    args = parser.parse_args()

    try:
        root = ET.parse(args.svg).getroot()
    except ET.ParseError as error:
        fail("not XML: %s" % error)
    if root.tag != SVG + "svg":
        fail("the root is %s, not an SVG element" % root.tag)
    if root.get("version") != "1.1":
        fail("not SVG 1.1: version=%r" % root.get("version"))
    for attribute in ("width", "height", "viewBox"):
        if not root.get(attribute):
            fail("the svg element has no %s" % attribute)

    report = json.load(open(args.report))
    memory = report["memory"]
    texts = text_of(root)
    for expected in args.expect_text:
        if not any(expected in t for t in texts):
            fail("no text reads %r; texts: %r" % (expected, texts[:5]))
    title = texts[0] if texts else ""
    if not title.startswith(report["model"] + ":") or report["target"]["name"] not in title:
        fail("the title %r names neither model %r nor target %r"
             % (title, report["model"], report["target"]["name"]))
    if "%d B" % memory["arena_bytes"] not in title:
        fail("the title %r does not give the arena, %d B" % (title, memory["arena_bytes"]))

    boxes = [r for r in root.iter(SVG + "rect") if r.get("class") == "buffer"]
    if not memory["buffers"]:
        if boxes:
            fail("%d buffer boxes for a plan without buffers" % len(boxes))
        if memory["arena_bytes"] == 0 and not any("needs no arena" in t for t in texts):
            fail("an empty plan does not say that the model needs no arena")
        print("memory map ok: no buffers")
        return

    # The boxes are the report's buffers, no more, no fewer.
    def key(id, bytes, offset, first, last, shares):
        return (int(id), int(bytes), int(offset), int(first), int(last),
                None if shares is None else int(shares))

    drawn = [key(r.get("data-id"), r.get("data-bytes"), r.get("data-offset"),
                 r.get("data-first"), r.get("data-last"), r.get("data-shares-with"))
             for r in boxes]
    planned = [key(b["id"], b["bytes"], b["offset"], b["first_op"], b["last_op"],
                   b.get("shares_with")) for b in memory["buffers"]]
    if len(drawn) != len(set(drawn)):
        fail("some buffer is drawn twice")
    if set(drawn) != set(planned):
        fail("boxes and report differ: only drawn %s, only in the report %s"
             % (sorted(set(drawn) - set(planned)), sorted(set(planned) - set(drawn))))
    for box in boxes:
        if box.find(SVG + "title") is None or \
                not box.find(SVG + "title").text.startswith("buffer %s:" % box.get("data-id")):
            fail("box %s has no tooltip naming it" % box.get("data-id"))

    # Geometry: x from the op range, y and height from the offset and size.
    plots = [r for r in root.iter(SVG + "rect") if r.get("class") == "plot"]
    if len(plots) != 1:
        fail("expected one plot area, got %d" % len(plots))
    plot = plots[0]
    px, py = float(plot.get("x")), float(plot.get("y"))
    pw, ph = float(plot.get("width")), float(plot.get("height"))
    op_min, op_max = int(plot.get("data-op-min")), int(plot.get("data-op-max"))
    bytes_max = int(plot.get("data-bytes-max"))
    if bytes_max < memory["arena_bytes"]:
        fail("the plot (%d B) is lower than the arena (%d B)" % (bytes_max, memory["arena_bytes"]))
    per_op = pw / (op_max - op_min + 1)
    per_byte = ph / bytes_max
    bottom = py + ph
    for box in boxes:
        id = box.get("data-id")
        size, offset = int(box.get("data-bytes")), int(box.get("data-offset"))
        first, last = int(box.get("data-first")), int(box.get("data-last"))
        x, y = float(box.get("x")), float(box.get("y"))
        w, h = float(box.get("width")), float(box.get("height"))
        expected = {
            "x": (x, px + (first - op_min) * per_op),
            "width": (w, (last - first + 1) * per_op),
            "height": (h, size * per_byte),
            "y": (y, bottom - (offset + size) * per_byte),
        }
        for name, (got, want) in expected.items():
            if not close(got, want):
                fail("box %s: %s is %s, expected %.3f" % (id, name, got, want))
        if x < px - TOLERANCE or x + w > px + pw + TOLERANCE or \
                y < py - TOLERANCE or y + h > bottom + TOLERANCE:
            fail("box %s lies outside the plot" % id)

    # The levels.
    lines = {l.get("class"): l for l in root.iter(SVG + "line") if l.get("class")}
    levels = {"arena": memory["arena_bytes"], "lower-bound": memory["lower_bound_bytes"]}
    budget = memory["budget_bytes"]
    if budget and budget <= bytes_max:
        levels["budget"] = budget
    for name, value in levels.items():
        if name not in lines:
            fail("no %s line" % name)
        if int(lines[name].get("data-bytes")) != value or \
                not close(float(lines[name].get("y1")), bottom - value * per_byte):
            fail("the %s line is not at %d B" % (name, value))
    if budget and budget > bytes_max and \
            not any(r.get("class") == "budget-note" for r in root.iter(SVG + "text")):
        fail("a budget above the plot is neither drawn nor noted")
    peak = [r for r in root.iter(SVG + "rect") if r.get("class") == "peak"]
    if len(peak) != 1 or int(peak[0].get("data-op")) != memory["peak"]["op_index"] or \
            not close(float(peak[0].get("x")), px + (memory["peak"]["op_index"] - op_min) * per_op):
        fail("the peak band is not at op %d" % memory["peak"]["op_index"])
    print("memory map ok: %d buffer%s" % (len(boxes), "" if len(boxes) == 1 else "s"))


if __name__ == "__main__":
    main()
