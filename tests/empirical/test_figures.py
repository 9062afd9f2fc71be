"""empirical.figures: Figs. 2.1, 3.1 and 3.2 as figure modules (compute / plot / claims).

Claims' numbers are checked against values recomputed here from the raw arrays (trace,
slice losses, profile arrays) or against formulas; verdicts against their criteria.  One
small edge-of-stability run (200 digits, eta = 0.5, 300 steps) is trained once per module
and shared by the three figures through ``run_dir``.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import scipy.stats
import torch

from empirical import (
    EosResult,
    FunctionObjective,
    GDTrace,
    ProblemSpec,
    ScalesExperiment,
    ScalesResult,
    SliceExperiment,
    available_device,
    detect_eos,
    gradient_slice,
    scale_profile,
)
from empirical.errors import DeviceError, ExperimentError
from empirical.figures import FULL, QUICK, Setting, fig_2_1, fig_3_1, fig_3_2
from theory.figures import Verdict

SMALL = dict(spec=ProblemSpec(n_train=200, n_test=0), lr=0.5, steps=300, sharpness_every=20)
HIGH, LOW = 1.5, 0.75  # locate_wells' defaults: wall exponent >= 1.5, rim exponent <= 0.75


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The three figures' data from one training run in a temporary ``run_dir``."""
    run_dir = tmp_path_factory.mktemp("run")
    eos = fig_2_1.compute(**SMALL, run_dir=run_dir, progress=False)
    sl = fig_3_1.compute(**SMALL, run_dir=run_dir, progress=False)
    sc = fig_3_2.compute(**SMALL, run_dir=run_dir, progress=False)
    return {"run_dir": run_dir, "eos": eos, "slice": sl, "scales": sc}


# --- available_device --------------------------------------------------------------------


def test_available_device_keeps_the_cpu():
    assert available_device("cpu") == ("cpu", None)


@pytest.mark.parametrize("name", ["cuda", "cuda:0", "cuda:3"])
def test_available_device_falls_back_to_the_cpu_without_cuda(monkeypatch, name):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # same on a GPU machine
    device, note = available_device(name)
    assert device == "cpu"
    assert f"device={name!r}" in note and "no CUDA device" in note and "\n" not in note


def test_available_device_uses_cuda_when_present(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert available_device("cuda") == ("cuda", None)
    assert available_device("cuda:1") == ("cuda:1", None)
    with pytest.raises(DeviceError, match=r"device='cuda:2': only 2 CUDA device"):
        available_device("cuda:2")


@pytest.mark.parametrize("name", ["gpu", "cuda:x", "cudax", "", "CPU", None, 0])
def test_available_device_rejects_other_names(name):
    with pytest.raises(DeviceError, match=r"device=.*must be 'cpu' or 'cuda'"):
        available_device(name)


# --- Fig. 2.1 ----------------------------------------------------------------------------


def _eos_claims_hold(result: EosResult):
    """The criteria of fig_2_1.claims, recomputed from the trace arrays."""
    tr, lr, band = result.trace, result.lr, result.verdict.band
    threshold = 2 / lr
    hits = np.nonzero(tr.sharpness >= (1 - band) * threshold)[0]
    if len(hits) == 0:
        return False, None, {}
    after = tr.sharpness[hits[0]:]
    fraction = float(np.mean(np.abs(after - threshold) <= band * threshold))
    reach = int(tr.sharp_steps[hits[0]])
    starts_below = tr.sharpness[0] < (1 - band) * threshold
    post = tr.losses[tr.loss_steps >= reach]
    w = max(1, len(post) // 10)
    ratio = float(post[-w:].mean() / post[:w].mean())
    expected = {"first_reach_step": reach, "fraction_in_band": fraction,
                "n_after": len(after), "loss_ratio_after": ratio}
    sharp = bool(starts_below and len(after) >= 3 and fraction >= 0.5)
    loss = (ratio <= 0.9) if starts_below else None
    return sharp, loss, expected


def _check_eos_claims(result: EosResult):
    claims = fig_2_1.claims(result)
    assert len(claims) == 2
    sharp, loss = claims
    n = sharp.numbers
    assert n["threshold"] == 2 / result.lr  # exactly
    assert n["lr"] == result.lr
    assert n["initial_sharpness"] == result.trace.sharpness[0]
    assert n["final_sharpness"] == result.trace.sharpness[-1]
    holds_sharp, holds_loss, expected = _eos_claims_hold(result)
    assert n["first_reach_step"] == expected.get("first_reach_step")
    if expected:
        assert n["fraction_in_band"] == pytest.approx(expected["fraction_in_band"], abs=1e-15)
        assert n["n_after"] == expected["n_after"]
    assert sharp.verdict is (Verdict.CONFIRMED if holds_sharp else Verdict.NOT_CONFIRMED)
    if holds_loss is None:
        assert loss.verdict is Verdict.NOT_APPLICABLE
    else:
        assert loss.numbers["loss_ratio_after"] == pytest.approx(expected["loss_ratio_after"],
                                                                 rel=1e-12)
        assert loss.verdict is (Verdict.CONFIRMED if holds_loss else Verdict.NOT_CONFIRMED)
    return claims


def test_fig_2_1_claims_match_the_trace(small):
    eos = small["eos"]
    claims = _check_eos_claims(eos)
    # on this setting the run reaches the edge from below (sharpness 2.5 -> 4 = 2/eta)
    assert claims[0].numbers["first_reach_step"] is not None


def _synthetic_eos(sharp_fn, loss_fn, lr=0.2, steps=200, every=10):
    s = np.arange(0, steps + 1, every)
    t = np.arange(steps + 1)
    sharp, loss = sharp_fn(s.astype(float)), loss_fn(t.astype(float))
    trace = GDTrace(loss_steps=t, losses=loss, lrs=np.full(len(t), lr), sharp_steps=s,
                    sharpness=sharp)
    return EosResult(ProblemSpec(), lr, steps, every, trace, detect_eos(s, sharp, t, loss, lr))


@pytest.mark.parametrize("sharp_fn, loss_fn, verdicts", [
    # rises at 0.1 per step to 2/eta = 10, hovers, loss falls: both confirmed
    (lambda t: np.minimum(2 + 0.1 * t, 10 + 0.3 * np.sin(t)), lambda t: 1 / (1 + 0.05 * t),
     ("confirmed", "confirmed")),
    # hovers but the loss stalls
    (lambda t: np.minimum(2 + 0.1 * t, 10.0), lambda t: 0 * t + 0.5,
     ("confirmed", "not confirmed")),
    # never reaches the edge: nothing after it to test
    (lambda t: 2 + 0.01 * t, lambda t: np.exp(-0.01 * t), ("not confirmed", "not applicable")),
    # starts at the edge: no rise
    (lambda t: 10 + 0 * t, lambda t: np.exp(-0.01 * t), ("not confirmed", "not applicable")),
    # shoots through 2/eta to 42: reached but does not hover
    (lambda t: 2 + 0.2 * t, lambda t: np.exp(-0.01 * t), ("not confirmed", "confirmed")),
])
def test_fig_2_1_verdicts_follow_their_criteria(sharp_fn, loss_fn, verdicts):
    result = _synthetic_eos(sharp_fn, loss_fn)
    claims = _check_eos_claims(result)
    assert tuple(c.verdict.value for c in claims) == verdicts


def test_fig_2_1_first_reach_of_a_linear_rise_is_exact():
    result = _synthetic_eos(lambda t: np.minimum(2 + 0.1 * t, 10.0), lambda t: 1 / (1 + t))
    assert fig_2_1.claims(result)[0].numbers["first_reach_step"] == 70  # 2 + 0.1 t >= 9


# --- Fig. 3.1 ----------------------------------------------------------------------------


def _independent_fit(sl, fit_inner=0.1, confidence=0.95):
    """log(phi - phi*) = log a + p log|t - t*| by normal equations, Student-t interval."""
    W = sl.t[-1] - abs(sl.t_min)
    d = np.abs(sl.t - sl.t_min)
    rise = sl.losses - sl.loss_min
    keep = (d >= fit_inner * W) & (d <= W) & (d > 0) & (rise > 0)
    x, y = np.log(d[keep]), np.log(rise[keep])
    n = len(x)
    sxx = np.sum((x - x.mean()) ** 2)
    p = np.sum((x - x.mean()) * (y - y.mean())) / sxx
    resid = y - y.mean() - p * (x - x.mean())
    se = math.sqrt(np.sum(resid**2) / (n - 2) / sxx)
    half = scipy.stats.t.ppf(0.5 + confidence / 2, n - 2) * se
    return p, p - half, p + half, n


def _check_slice_claims(data: SliceExperiment):
    sl = data.slice
    claims = fig_3_1.claims(data)
    assert len(claims) == 3
    convex, sub, falling = claims
    # second differences straight from the losses, on |t - t*| <= W
    W = sl.t[-1] - abs(sl.t_min)
    h = sl.t[1] - sl.t[0]
    curv = (sl.losses[2:] - 2 * sl.losses[1:-1] + sl.losses[:-2]) / h**2
    dist = np.abs(sl.t[1:-1] - sl.t_min)
    curv, dist = curv[dist <= W], dist[dist <= W]
    assert convex.numbers["min_curvature"] == pytest.approx(curv.min(), rel=1e-9, abs=1e-12)
    assert convex.numbers["fraction_positive"] == np.mean(curv > 0)
    assert convex.confirmed == bool(np.all(curv > 0))
    p, lo, hi, n = _independent_fit(sl)
    assert sub.numbers["fit_points"] == n
    for key, value in (("p", p), ("p_low", lo), ("p_high", hi)):
        assert sub.numbers[key] == pytest.approx(value, rel=1e-9)
    assert sub.confirmed == (hi < 2)
    inner, outer = curv[dist <= W / 4].mean(), curv[dist >= 3 * W / 4].mean()
    peak = dist[np.argmax(curv)]
    assert falling.numbers["inner_curvature"] == pytest.approx(inner, rel=1e-9)
    assert falling.numbers["outer_curvature"] == pytest.approx(outer, rel=1e-9)
    assert falling.numbers["peak_distance"] == pytest.approx(peak, rel=1e-12)
    assert falling.confirmed == bool(peak <= W / 4 and outer / inner < 0.9)
    return claims


def test_fig_3_1_is_at_the_last_step_of_the_run_and_matches_its_slice(small):
    data = small["slice"]
    assert data.step == SMALL["steps"]
    torch.testing.assert_close(data.run.trace.final_theta, small["eos"].trace.final_theta,
                               rtol=0, atol=0)
    claims = _check_slice_claims(data)
    assert [c.verdict for c in claims] == [Verdict.CONFIRMED] * 3  # this run: subquadratic


def _one_d_slice(small, fn, radius):
    obj = FunctionObjective(lambda th: fn(th[0]), 1)
    sl = gradient_slice(obj, torch.tensor([0.3], dtype=torch.float64), radius=radius)
    return SliceExperiment(small["eos"], 0, sl)


@pytest.mark.parametrize("fn, radius, verdicts", [
    # f'' = sech^2 x: convex, subquadratic, curvature falls away from 0
    (lambda x: torch.log(torch.cosh(x)), 3.0, (True, True, True)),
    # f'' = 1 + 12 x^2: convex, superquadratic, curvature grows away from 0
    (lambda x: 0.5 * x**2 + x**4, 1.0, (True, False, False)),
    # a Gaussian well: concave beyond |x| = 1/sqrt(2), flattening, curvature falls
    (lambda x: 1 - torch.exp(-(x**2)), 3.0, (False, True, True)),
])
def test_fig_3_1_verdicts_follow_their_criteria(small, fn, radius, verdicts):
    claims = _check_slice_claims(_one_d_slice(small, fn, radius))
    assert tuple(c.confirmed for c in claims) == verdicts


# --- Fig. 3.2 ----------------------------------------------------------------------------


def _check_scales_claims(data: ScalesExperiment):
    claims = fig_3_2.claims(data)
    assert len(claims) == len(data.scales.profiles)
    for claim, prof in zip(claims, data.scales.profiles, strict=True):
        n = claim.numbers
        assert n["direction"] == prof.name
        wells = prof.wells
        assert n["n_wells"] == len(wells)
        # the wells against the profile's own arrays: walls start where the local exponent
        # of the rise is >= 1.5 and end at a rim where it is <= 0.75, nothing in between
        r = prof.radii
        rise = 0.5 * (prof.loss_plus + prof.loss_minus) - prof.loss0
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.gradient(np.log(rise), np.log(r))
        start = 0
        for well in wells:
            i = int(np.nonzero(r == well.inner_radius)[0][0])
            assert s[i] >= HIGH and not np.any(s[start:i] >= HIGH)
            assert well.curvature == pytest.approx(2 * rise[i] / r[i] ** 2, rel=1e-12)
            if math.isinf(well.rim_radius):
                assert not np.any(s[i:] <= LOW)
                start = len(r)
            else:
                j = int(np.nonzero(r == well.rim_radius)[0][0])
                assert s[j] <= LOW and not np.any(s[i:j] <= LOW)
                start = j + 1
        if start < len(r):
            assert not np.any(s[start:] >= HIGH)  # no further wall
        if len(wells) >= 2:
            ratio = wells[0].curvature / wells[1].curvature
            assert n["curvature_ratio"] == pytest.approx(ratio, rel=1e-12)
            assert n["rim_radius"] == wells[0].rim_radius
            assert claim.confirmed == (ratio >= 10)
        else:
            assert n["curvature_ratio"] is None and not claim.confirmed
    return claims


def test_fig_3_2_one_claim_per_direction_matches_the_profiles(small):
    data = small["scales"]
    assert data.step == SMALL["steps"]
    assert [p.name for p in data.scales.profiles] == ["gradient", "random 0", "random 1"]
    claims = _check_scales_claims(data)
    assert "Fig. 3.2 left" in claims[0].source and "Fig. 3.2 middle" in claims[1].source


def _two_wells(x, depth=0.01, w1=0.01, w2=1.0):
    return depth * (1 - torch.exp(-((x / w1) ** 2))) + (1 - torch.exp(-((x / w2) ** 2)))


def test_fig_3_2_sharp_well_in_flat_well_is_confirmed_single_well_is_not(small):
    obj = FunctionObjective(lambda th: _two_wells(th[0]), 1)
    zero, one = torch.zeros(1, dtype=torch.float64), torch.ones(1, dtype=torch.float64)
    grid = dict(r_min=1e-4, r_max=10.0, n_radii=81)
    two = scale_profile(obj, zero, one, name="gradient", **grid)
    single = scale_profile(FunctionObjective(lambda th: 1 - torch.exp(-th[0] ** 2), 1), zero,
                           one, name="random 0", **grid)
    data = ScalesExperiment(small["eos"], 0, ScalesResult((two, single), 1.0))
    confirmed, rejected = _check_scales_claims(data)
    assert confirmed.verdict is Verdict.CONFIRMED and rejected.verdict is Verdict.NOT_CONFIRMED
    # the sharp well's curvature at r -> 0: 2 (depth / w1^2 + 1 / w2^2) = 202
    assert confirmed.numbers["inner_curvature"] == pytest.approx(202.0, rel=1e-3)
    assert 0.01 < confirmed.numbers["rim_radius"] < 0.1  # the sharp well (width 0.01) ends
    assert rejected.numbers["n_wells"] == 1


# --- the protocol: reuse, plots, determinism, settings ----------------------------------


def test_slice_and_scales_reuse_the_finished_run(small, monkeypatch):
    """With the same run_dir nothing is trained again: no sharpness measurement runs."""
    import empirical._gd

    def no_training(*args, **kwargs):
        raise AssertionError("the finished run was trained again")

    monkeypatch.setattr(empirical._gd, "lanczos", no_training)
    again = fig_3_1.compute(**SMALL, run_dir=small["run_dir"], progress=False)
    np.testing.assert_array_equal(again.slice.losses, small["slice"].slice.losses)


@pytest.mark.parametrize("module, key", [(fig_2_1, "eos"), (fig_3_1, "slice"),
                                         (fig_3_2, "scales")])
def test_plot_writes_a_readable_non_blank_png(small, tmp_path, module, key):
    import matplotlib.image

    files = module.plot(small[key], tmp_path, pdf=module is fig_3_1)
    png = tmp_path / f"{module.NAME}.png"
    assert files[0] == png
    image = matplotlib.image.imread(png)
    assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 300
    assert len(np.unique(image.reshape(-1, image.shape[2]), axis=0)) > 20  # not blank
    if module is fig_3_1:
        assert files[1] == tmp_path / "fig_3_1.pdf"
        assert files[1].read_bytes()[:5] == b"%PDF-"
    else:
        assert len(files) == 1


def _all_claims(seed, run_dir):
    spec = ProblemSpec(n_train=200, n_test=0, seed=seed)
    common = dict(lr=0.3, steps=120, sharpness_every=20, run_dir=run_dir, progress=False)
    return [c.as_dict() for m in (fig_2_1, fig_3_1, fig_3_2)
            for c in m.claims(m.compute(spec, **common))]


def test_same_seed_same_claims_other_seed_other_numbers(tmp_path):
    first = _all_claims(0, tmp_path / "a")
    assert first == _all_claims(0, tmp_path / "b")  # trained again from scratch
    other = _all_claims(1, tmp_path / "c")
    assert [c["source"] for c in other] == [c["source"] for c in first]
    assert first[0]["numbers"]["initial_sharpness"] != other[0]["numbers"]["initial_sharpness"]
    assert first[3]["numbers"]["p"] != other[3]["numbers"]["p"]


def test_bad_input_is_rejected_before_training():
    with pytest.raises(ExperimentError, match="lr=-1"):
        fig_2_1.compute(lr=-1, progress=False)
    with pytest.raises(ExperimentError, match="n_points=40"):
        fig_3_1.compute(n_points=40, progress=False)
    with pytest.raises(ExperimentError, match=r"r_max=0\.001: must exceed r_min=0\.01"):
        fig_3_2.compute(r_min=1e-2, r_max=1e-3, progress=False)


def test_settings_feed_the_computes():
    from sklearn.datasets import load_digits

    from empirical._eos import DEFAULT_LR, DEFAULT_STEPS

    assert QUICK.spec == ProblemSpec() and (QUICK.lr, QUICK.steps) == (DEFAULT_LR,
                                                                     DEFAULT_STEPS)
    assert FULL.spec.n_train + FULL.spec.n_test == len(load_digits().target)  # all digits
    for setting in (QUICK, FULL):
        for module in (fig_2_1, fig_3_1, fig_3_2):
            options = setting.options(module.NAME)
            inspect.signature(module.compute).bind(**options, run_dir=None, progress=False)
            assert options["spec"] is setting.spec and options["lr"] == setting.lr
    moved = QUICK.replace(device="cuda", seed=3)
    assert (moved.spec.device, moved.spec.seed, moved.steps) == ("cuda", 3, QUICK.steps)
    with pytest.raises(ExperimentError, match="figure='fig_9'"):
        QUICK.options("fig_9")
    with pytest.raises(ExperimentError, match="slice_points=40"):
        Setting("x", ProblemSpec(), 0.3, 100, 20, 40, 2, 81)


def test_importing_the_figures_package_does_not_import_torch():
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, empirical.figures\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n"
            "assert empirical.figures.FULL.spec.n_train == 1297\n"
            "assert 'torch' not in sys.modules, 'torch imported by the settings'\n")
    subprocess.run([sys.executable, "-c", code], check=True,
                   cwd=str(Path(__file__).parents[2]))


def test_fig_3_2_reports_why_a_single_well_has_no_rim(small):
    """curvature_span and min_local_exponent, recomputed from the profile arrays."""
    for claim, prof in zip(fig_3_2.claims(small["scales"]), small["scales"].scales.profiles,
                           strict=True):
        rise = 0.5 * (prof.loss_plus + prof.loss_minus) - prof.loss0
        c = 2 * rise / prof.radii**2
        assert claim.numbers["curvature_span"] == pytest.approx(c[0] / c[c > 0].min(), rel=1e-9)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.gradient(np.log(rise), np.log(prof.radii))
        assert claim.numbers["min_local_exponent"] == pytest.approx(np.nanmin(s), rel=1e-9)
        if claim.numbers["n_wells"] == 1 and claim.numbers["rim_radius"] is None:
            assert claim.numbers["min_local_exponent"] > LOW  # never levelled off
