#!/usr/bin/env python3
"""The performance summary of docs/performance.md (issue 21), measured and written in one run.

Run through `scripts/bench-e2e.sh --summary [--write-docs]`, which builds the binaries first.
Every figure is the median of REPEATS runs (default 3), the commands of a table run in turn
(A B C A B C ...) so that a drift of the machine's speed spreads over all of them. Times are
the whole process, start to exit, as the kernel accounts a finished child (wall from a monotonic
clock; CPU = user + system; peak = the child's largest resident set).

Sections: the issue's targets (end-to-end evaluate of zoo:resnet18, dense, counts-only and
every scheme beside dense; the simulator's share of the bare kernel's ceiling; the re-pricing
rate), the per-stage table of sparsecim_e2e, the image scaling (1, 16, 64 images), and one line
on the other tools' published figures.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "release")
SPARSECIM = os.path.join(BIN, "sparsecim")
E2E = os.path.join(BIN, "sparsecim_e2e")
DOC = os.path.join(ROOT, "docs", "performance.md")
BEGIN, END = "<!-- summary:begin -->", "<!-- summary:end -->"
SCHEMES = ["csr", "twofold", "sme", "pattern"]
MODEL = "zoo:resnet18"


def run(cmd, out_dir):
    """Runs cmd once; returns (wall s, CPU s, peak MiB). Fails loudly on a non-zero exit."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            cwd=out_dir)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"bench_summary: {' '.join(cmd)} failed ({proc.returncode}):\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def medians(cmds, repeats, out_dir):
    """Runs every command of cmds in turn, repeats times; per command the median figures."""
    runs = {k: [] for k in cmds}
    for _ in range(repeats):
        for k, cmd in cmds.items():
            runs[k].append(run(cmd, out_dir))
    return {k: tuple(statistics.median(r[i] for r in v) for i in range(3)) for k, v in runs.items()}


def evaluate_cmd(out, *extra, images=1):
    return [SPARSECIM, "evaluate", "--model", MODEL, "--images", str(images), "--out", out, *extra]


def verdict(value, target, minimum):
    if value <= target:
        return "met"
    return "minimum met" if value <= minimum else "not met"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write-docs", action="store_true", help=f"write the section into {DOC}")
    ap.add_argument("--repeats", type=int, default=int(os.environ.get("REPEATS", "3")))
    ap.add_argument("--images", default=os.environ.get("IMAGES", "1 16 64"),
                    help="image counts of the scaling table")
    args = ap.parse_args()
    lines = []
    say = lines.append
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        # 1. End to end, the commands.
        cmds = {"dense": evaluate_cmd(out, "--schemes", "dense"),
                "counts": evaluate_cmd(out, "--schemes", "dense", "--counts-only")}
        for s in SCHEMES:
            cmds[s] = evaluate_cmd(out, "--schemes", "dense," + s)
        e2e = medians(cmds, args.repeats, tmp)
        # 2. Per stage and the ceiling (sparsecim_e2e times the bare kernel first).
        stages_json = os.path.join(tmp, "e2e.json")
        subprocess.run([E2E, "--model", MODEL, "--images", "1", "--repeats", str(args.repeats),
                        "--json", stages_json], check=True, stdout=subprocess.DEVNULL, cwd=tmp)
        stages = json.load(open(stages_json))
        counts_json = os.path.join(tmp, "e2e-counts.json")
        subprocess.run([E2E, "--model", MODEL, "--images", "1", "--repeats", str(args.repeats),
                        "--schemes", "dense", "--counts-only", "--ceiling-seconds", "0",
                        "--json", counts_json], check=True, stdout=subprocess.DEVNULL, cwd=tmp)
        counts_stage = json.load(open(counts_json))["schemes"][0]
        # 3. Images: mapping once, traces streamed.
        images = [int(n) for n in args.images.split()]
        scaling = {n: run(evaluate_cmd(out, "--schemes", "dense", "--accuracy-images", "0",
                                       "--adc-accuracy-images", "0", images=n),
                          tmp) for n in images}
        # 4. Re-pricing: the sweep script's cost-only grid (its own medians).
        sweep = subprocess.run(["bash", os.path.join(ROOT, "scripts", "bench-sweep.sh")],
                               env=dict(os.environ, GRIDS="cost-only",
                                        REPEATS=str(args.repeats)),
                               check=True, capture_output=True, text=True).stdout
        rate = re.search(r"re-pricing: (\d+) points per wall second", sweep)
        rate = int(rate.group(1)) if rate else None

    cpu = open("/proc/cpuinfo").read()
    model = re.search(r"model name\s*:\s*(.*)", cpu)
    commit = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                            capture_output=True, text=True).stdout.strip()
    say(f"Generated by `scripts/bench-e2e.sh --summary` on {time.strftime('%Y-%m-%d', time.gmtime())}"
        f" at {commit}: {os.cpu_count()} cores ({model.group(1) if model else 'unknown CPU'}), load "
        f"average {open('/proc/loadavg').read().split()[0]} at the end; medians of {args.repeats} "
        "runs, commands run in turn; wall and CPU (user + system) of the whole process.")
    say("")
    say("**Issue 21's targets.** `sparsecim evaluate --model zoo:resnet18 --images 1` with the "
        "schemes given (one 3 x 224 x 224 image, modelled activations, 2 threads). A scheme "
        "beside dense also runs its matched dense baseline (e.g. dense[skip_zero] for csr), so "
        "`dense,X` simulates the network three times:")
    say("")
    say("| run | wall s | CPU s | CPU / wall | peak MiB | target (minimum) | |")
    say("|---|---|---|---|---|---|---|")

    def row(label, fig, target, minimum):
        w, c, p = fig
        say(f"| {label} | {w:.2f} | {c:.2f} | {c / w:.2f} | {p:.0f} | {target} s ({minimum} s) | "
            f"{verdict(w, target, minimum)} |")

    row("`--schemes dense`", e2e["dense"], 1.5, 3)
    row("`--schemes dense --counts-only`", e2e["counts"], 0.5, 1.5)
    for s in SCHEMES:
        row(f"`--schemes dense,{s}`", e2e[s], 5, 5)
    dense = next(s for s in stages["schemes"] if s["scheme"] == "dense")
    say("")
    say(f"Simulator throughput (dense, functional): {dense['mops_per_cpu_s']:.1f} M OU ops per "
        f"CPU-second against the bare kernel's {stages['ceiling_mops_per_s']:.0f} M "
        f"({stages['ceiling_path']} path, bench/ceiling.hpp, timed in the same run): "
        f"**{100 * dense['ceiling_fraction']:.1f}% of the ceiling** (target 50%). Counts-only: "
        f"{counts_stage['mops_per_cpu_s']:.1f} M OU ops per CPU-second.")
    say("")
    say("Re-pricing (`GRIDS=cost-only bash scripts/bench-sweep.sh`: 2,000 points that change "
        "only prices, one thread): " + (f"**{rate} points per second** (target 1,500)."
                                         if rate else "the rate was not found in its output."))
    say("")
    say("**Per stage** (`build/release/sparsecim_e2e --model zoo:resnet18 --images 1`, every "
        "scheme on its own preset, 2 threads; prepare = quantize + prune + calibrate, map = "
        "every layer mapped and verified, trace = reference inference, sim = the OU simulator):")
    say("")
    say("| scheme | prepare s | map s | trace s | sim s | sim CPU s | OU ops | M OU ops/CPU-s | "
        "% of ceiling | mismatches |")
    say("|---|---|---|---|---|---|---|---|---|---|")
    for s in stages["schemes"] + [dict(counts_stage, scheme="dense, counts-only")]:
        checked = f"{s['mismatches']}/{s['outputs_checked']}" if s["outputs_checked"] else "-"
        # (counts-only forms no column sums: no share of the column-sum kernel's ceiling)
        share = f"{100 * s['ceiling_fraction']:.1f}%" if s["outputs_checked"] else "-"
        say(f"| {s['scheme']} | {s['prepare_s']:.2f} | {s['map_s']:.2f} | {s['trace_s']:.2f} | "
            f"{s['sim_s']:.2f} | {s['sim_cpu_s']:.2f} | {s['ou_ops']:,} | "
            f"{s['mops_per_cpu_s']:.1f} | {share} | {checked} |")
    say("")
    say("**Images** (`sparsecim evaluate --model zoo:resnet18 --schemes dense --images N "
        "--accuracy-images 0 --adc-accuracy-images 0`, one run each: the mapping is made once "
        "and the images' traces are streamed one at a time):")
    say("")
    say("| images | wall s | CPU s | wall s per image | peak MiB |")
    say("|---|---|---|---|---|")
    for n, (w, c, p) in scaling.items():
        say(f"| {n} | {w:.2f} | {c:.2f} | {w / n:.3f} | {p:.0f} |")
    say("")
    w = e2e["dense"][0]
    say(f"For scale, figures of other tools that were not re-run here: MNSIM-2.0 evaluates the "
        f"hardware of the same ImageNet ResNet-18 without computing any value in 6.85 s (issue "
        f"21's measurement on this machine kind); NeuroSim needs minutes per image and CiMLoop "
        f"about 13 s per mapping (as published, quoted by issue 21). sparsecim simulated it "
        f"bit-serially, every output checked, in {w:.2f} s here.")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write_docs:
        doc = open(DOC).read()
        if BEGIN not in doc or END not in doc:
            sys.exit(f"bench_summary: {DOC} lacks {BEGIN} ... {END}")
        head, rest = doc.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        open(DOC, "w").write(head + BEGIN + "\n" + text + END + tail)
        print(f"bench_summary: written to {DOC}", file=sys.stderr)


if __name__ == "__main__":
    main()
