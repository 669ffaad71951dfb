#!/usr/bin/env python3
"""Renders a bench/run result directory: results.md (the table, lens/peer
ratios, the issue's targets) and feed_latency.png (gnuplot).

    python3 bench/report.py OUT_DIR
"""
import json
import os
import shutil
import subprocess
import sys

SYSTEMS = ["lens-embedded", "lens-kafka", "postgres", "postgres-redis"]
PEERS = ["postgres", "postgres-redis"]
# metric, label, field, unit, higher_is_better, target (scale M, 2 cores)
ROWS = [
    ("rebuild", "Rebuild (full replay, all projections)", "value", "events/s", True, ">= 250,000"),
    ("ingest", "Command ingest, durable", "value", "commands/s", True, ">= 20,000"),
    ("ingest", "  ingest p50", "p50_ms", "ms", False, ""),
    ("ingest", "  ingest p99", "p99_ms", "ms", False, "<= 20"),
    ("feed_reads", "Feed reads (20 items) with writes beside", "value", "pages/s", True, ">= 15,000"),
    ("feed_reads", "  feed p50", "p50_ms", "ms", False, ""),
    ("feed_reads", "  feed p99", "p99_ms", "ms", False, "<= 5"),
    ("mixed_writes", "Writes beside the feed reads", "value", "commands/s", True, ""),
    ("fanout_100k", "Fan-out of one post to all followers", "value", "s", False, "<= 0.5 (100k)"),
    ("fanout_top", "Fan-out of the most followed user's post", "value", "s", False, ""),
    ("freshness", "Freshness p50 (ack to follower's feed)", "p50_ms", "ms", False, ""),
    ("freshness", "Freshness p99", "p99_ms", "ms", False, "<= 100"),
    ("rss_mb", "Peak RSS of the server(s)", "value", "MiB", False, "<= 2048"),
    ("search_typeahead", "Search: account typeahead p50 (handler)", "value", "ms", False, ""),
    ("search_typeahead", "  typeahead p99", "p99", "ms", False, "< 2 (1M posts)"),
    ("search_caption_1_word", "Search: caption, 1 word p50 (handler)", "value", "ms", False, ""),
    ("search_caption_1_word", "  caption 1 word p99", "p99", "ms", False, "< 10 (1M posts)"),
    ("search_caption_2_words", "Search: caption, 2 words p50 (handler)", "value", "ms", False, ""),
    ("search_caption_2_words", "  caption 2 words p99", "p99", "ms", False, "< 10 (1M posts)"),
    ("search_apply_events_per_s", "Search projection apply", "value", "events/s", True, ""),
]


def load(out):
    data = {}
    curves = {}
    with open(os.path.join(out, "results.jsonl")) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            if r["metric"] == "feed_curve":
                curves.setdefault(r["system"], []).append(r)
            else:
                data[(r["system"], r["metric"])] = r
    return data, curves


def fmt(v):
    if v is None:
        return "–"
    if v >= 1000:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"


def render_table(data, out):
    present = [s for s in SYSTEMS if any(k[0] == s for k in data)]
    peers = [p for p in PEERS if p in present]
    head = ["figure", "unit"] + present + [f"lens ÷ {p}" for p in peers] + ["target (M)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for metric, label, field, unit, higher, target in ROWS:
        vals = {}
        for s in present:
            r = data.get((s, metric))
            # The fan-out bench runs in-process on the embedded log.
            vals[s] = r.get(field) if r else None
        if all(v is None for v in vals.values()):
            continue
        cells = [label, unit]
        for s in present:
            cell = fmt(vals[s])
            r = data.get((s, metric))
            if metric == "fanout_100k" and r and "followers" in r:
                cell += f" ({r['followers']:,} followers)"
            cells.append(cell)
        lens = vals.get("lens-embedded")
        for p in peers:
            pv = vals.get(p)
            a, b = data.get(("lens-embedded", metric)), data.get((p, metric))
            if a and b and a.get("followers") != b.get("followers"):
                cells.append("– (other N)")
            elif lens is None or pv is None or lens == 0 or pv == 0:
                cells.append("–")
            else:
                # > 1 means lens is better, whichever way "better" points.
                cells.append(f"{(lens / pv) if higher else (pv / lens):.2f}×")
        cells.append(target)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_chart(curves, out):
    if not curves:
        return None
    if shutil.which("gnuplot") is None:
        print("gnuplot is not installed: no chart (apt-get install gnuplot-nox)", file=sys.stderr)
        return None
    script = [
        "set terminal pngcairo size 900,540 font 'sans,11'",
        f"set output '{os.path.join(out, 'feed_latency.png')}'",
        "set title 'Home feed (20 hydrated items): latency against load'",
        "set xlabel 'feed pages per second'",
        "set ylabel 'latency (ms)'",
        "set logscale y",
        "set grid",
        "set key left top",
    ]
    plots = []
    for system, points in sorted(curves.items()):
        points.sort(key=lambda r: r["connections"])
        path = os.path.join(out, f"curve-{system}.dat")
        with open(path, "w") as f:
            f.write("# connections pages_per_s p50_ms p99_ms\n")
            for r in points:
                f.write(f"{r['connections']} {r['value']} {r['p50_ms']} {r['p99_ms']}\n")
        plots.append(f"'{path}' using 2:4 with linespoints title '{system} p99'")
        plots.append(f"'{path}' using 2:3 with linespoints dashtype 2 title '{system} p50'")
    script.append("plot " + ", ".join(plots))
    subprocess.run(["gnuplot"], input="\n".join(script), text=True, check=True)
    return "feed_latency.png"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py OUT_DIR")
    out = sys.argv[1]
    data, curves = load(out)
    machine = ""
    path = os.path.join(out, "machine.txt")
    if os.path.exists(path):
        machine = open(path).read().strip()
    table = render_table(data, out)
    chart = render_chart(curves, out)
    curve_rows = []
    for system, points in sorted(curves.items()):
        for r in sorted(points, key=lambda r: r["connections"]):
            curve_rows.append(f"| {system} | {r['connections']} | {fmt(r['value'])} | "
                              f"{fmt(r['p50_ms'])} | {fmt(r['p99_ms'])} |")
    md = ["# lens benchmark results", "", "```", machine, "```", "", table, ""]
    if curve_rows:
        md += ["## Feed latency against load (reads only)", "",
               "| system | connections | pages/s | p50 ms | p99 ms |", "|---|---|---|---|---|"]
        md += curve_rows + [""]
    if chart:
        md += [f"![feed latency against load]({chart})", ""]
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
