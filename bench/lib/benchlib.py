"""Shared harness for vigie's side-by-side benchmarks (see docs/benchmarks.md).

A benchmark defines contenders (the peer and vigie) and modes (a load
command per mode). `run_matrix` interleaves them (peer, vigie, peer, vigie,
...) so that drift on the machine hits both alike, waits for a quiet machine
before each run, keeps the median of each cell and prints a table with the
ratios, vigie first-class: a ratio > 1 always means vigie is better. With
three or more runs the table also gives each ratio's 90 % bootstrap interval
and whether the runs decide it (the whole interval above or below 1).
"""
import os
import random
import statistics
import subprocess
import sys
import time


def cpu_busy_percent(sample_seconds=0.5):
    """Share of CPU time not idle over a short sample, from /proc/stat."""
    def read():
        with open("/proc/stat") as f:
            parts = [int(x) for x in f.readline().split()[1:]]
        idle = parts[3] + parts[4]
        return idle, sum(parts)
    i0, t0 = read()
    time.sleep(sample_seconds)
    i1, t1 = read()
    total = t1 - t0
    return 0.0 if total == 0 else 100.0 * (1 - (i1 - i0) / total)


def wait_quiet(max_busy=25.0, timeout=60.0):
    """Waits (bounded) for the machine to be quiet; returns the last reading."""
    deadline = time.monotonic() + timeout
    busy = cpu_busy_percent()
    while busy > max_busy and time.monotonic() < deadline:
        busy = cpu_busy_percent()
    return busy


def run(cmd, timeout=300, env=None):
    """Runs a load generator; returns its stdout (raises on failure)."""
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r.stdout


class Metric:
    """A measured quantity: how to read it and which direction is better."""

    def __init__(self, name, unit, higher_is_better=True):
        self.name = name
        self.unit = unit
        self.higher_is_better = higher_is_better


class Results(dict):
    """{mode: {contender: {metric: median}}}, and in `samples` every run's
    value in run order ({mode: {contender: {metric: [values]}}})."""

    def __init__(self, medians, samples):
        super().__init__(medians)
        self.samples = samples


def run_matrix(modes, contenders, measure, metrics, runs=3, quiet=True, out=None):
    """Interleaves `runs` rounds of every (mode, contender).

    measure(mode, contender) -> {metric name: value}.
    Returns Results: {mode: {contender: {metric: median}}} plus the samples.
    """
    out = out or sys.stdout
    samples = {m: {c: {k.name: [] for k in metrics} for c in contenders} for m in modes}
    for r in range(runs):
        for mode in modes:
            for contender in contenders:
                busy = wait_quiet() if quiet else 0.0
                values = measure(mode, contender)
                for k in metrics:
                    samples[mode][contender][k.name].append(values[k.name])
                shown = ", ".join(f"{k.name}={values[k.name]:.4g}{k.unit}" for k in metrics)
                print(f"  run {r + 1}/{runs} {mode:<24} {contender:<10} cpu-busy-before={busy:4.1f}% "
                      f"{shown}", file=out, flush=True)
    return Results({m: {c: {k: statistics.median(v) for k, v in cs.items()}
                        for c, cs in ms.items()} for m, ms in samples.items()}, samples)


def ratio(vigie, peer, higher_is_better):
    if higher_is_better:
        return vigie / peer if peer else float("inf")
    return peer / vigie if vigie else float("inf")


def ratio_interval(vigie, peer, higher_is_better, level=0.90, resamples=2000):
    """Bootstrap interval of the ratio of medians, or None under three runs.

    vigie[i] and peer[i] come from the same round (runs are interleaved, so a
    round's drift hits both): rounds are resampled whole, keeping the pairs.
    The seed is fixed so that the same samples print the same interval.
    """
    n = min(len(vigie), len(peer))
    if n < 3:
        return None
    rng = random.Random(20261127)
    qs = []
    for _ in range(resamples):
        rounds = [rng.randrange(n) for _ in range(n)]
        qs.append(ratio(statistics.median(vigie[i] for i in rounds),
                        statistics.median(peer[i] for i in rounds), higher_is_better))
    qs.sort()
    tail = (1 - level) / 2
    return qs[int(tail * resamples)], qs[int((1 - tail) * resamples) - 1]


def verdict(interval):
    """What the runs decide about a ratio, given its interval."""
    if interval is None:
        return "too few runs"
    lo, hi = interval
    if lo > 1:
        return "vigie better"
    if hi < 1:
        return "vigie worse"
    return "within noise"


def print_table(results, metrics, peer, vigie="vigie", out=None, samples=None):
    """Prints medians and ratios; returns {(mode, metric): ratio}.

    samples defaults to results.samples when results came from run_matrix;
    with them each ratio gets its 90 % interval and verdict."""
    out = out or sys.stdout
    if samples is None:
        samples = getattr(results, "samples", None)
    ratios = {}
    header = f"| mode | metric | {peer} | {vigie} | ratio (>1: vigie better) |"
    rule = "|---|---|---:|---:|---:|"
    if samples:
        header += " 90% interval | runs decide |"
        rule += "---:|---|"
    print(header, file=out)
    print(rule, file=out)
    for mode, by_contender in results.items():
        for k in metrics:
            p = by_contender[peer][k.name]
            v = by_contender[vigie][k.name]
            q = ratio(v, p, k.higher_is_better)
            ratios[(mode, k.name)] = q
            row = f"| {mode} | {k.name} ({k.unit}) | {p:.4g} | {v:.4g} | {q:.2f}x |"
            if samples:
                iv = ratio_interval(samples[mode][vigie][k.name], samples[mode][peer][k.name],
                                    k.higher_is_better)
                shown = "-" if iv is None else f"{iv[0]:.2f}–{iv[1]:.2f}"
                row += f" {shown} | {verdict(iv)} |"
            print(row, file=out)
    return ratios


def machine_summary():
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    return (f"{time.strftime('%Y-%m-%d %H:%M')} commit {commit or '?'}, {os.cpu_count()} cores, "
            f"load {os.getloadavg()[0]:.2f}")
