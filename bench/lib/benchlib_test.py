"""The ratio table's arithmetic: direction, interval and verdict."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


def test_ratio_is_above_one_when_vigie_is_better_in_either_direction():
    assert benchlib.ratio(200, 100, higher_is_better=True) == 2.0
    assert benchlib.ratio(5.0, 10.0, higher_is_better=False) == 2.0  # half the latency


def test_runs_that_overlap_one_are_within_noise():
    vigie = [100, 110, 90, 105, 95, 100]
    peer = [100, 100, 100, 100, 100, 100]
    lo, hi = benchlib.ratio_interval(vigie, peer, True)
    assert lo < 1 < hi
    assert benchlib.verdict((lo, hi)) == "within noise"


def test_consistently_better_or_worse_runs_decide():
    peer = [100, 104, 98, 101, 99, 103]
    better = [p * 1.2 for p in peer]
    worse = [p * 0.8 for p in peer]
    assert benchlib.verdict(benchlib.ratio_interval(better, peer, True)) == "vigie better"
    assert benchlib.verdict(benchlib.ratio_interval(worse, peer, True)) == "vigie worse"
    # Latency: a larger number is worse.
    assert benchlib.verdict(benchlib.ratio_interval(better, peer, False)) == "vigie worse"


def test_rounds_stay_paired():
    # Drift moves both contenders alike; paired rounds keep the ratio at 1.1
    # however much the rounds differ from each other.
    peer = [50, 100, 200, 400, 800]
    vigie = [p * 1.1 for p in peer]
    lo, hi = benchlib.ratio_interval(vigie, peer, True)
    assert abs(lo - 1.1) < 1e-9 and abs(hi - 1.1) < 1e-9


def test_too_few_runs_give_no_interval():
    assert benchlib.ratio_interval([1, 2], [1, 2], True) is None
    assert benchlib.verdict(None) == "too few runs"


def test_table_prints_the_interval_from_run_matrix_samples(capsys):
    values = iter([100, 120, 100, 121, 100, 119])
    metrics = [benchlib.Metric("req/s", "", True)]
    results = benchlib.run_matrix(["m"], ["peer", "vigie"],
                                  lambda mode, c: {"req/s": next(values)}, metrics, runs=3,
                                  quiet=False, out=open(os.devnull, "w"))
    ratios = benchlib.print_table(results, metrics, peer="peer")
    out = capsys.readouterr().out
    assert abs(ratios[("m", "req/s")] - 1.2) < 1e-9
    assert "| m | req/s () | 100 | 120 | 1.20x | 1.19–1.21 | vigie better |" in out
