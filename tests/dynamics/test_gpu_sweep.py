"""The GPU sweep backend (issue 12) against the Numba kernel, orbit by orbit, on the CPU.

``device="torch-cpu"`` runs the PyTorch kernel that ``device="cuda"`` runs on a GPU (the same
code, tensors on another device).  Reference: the Numba CPU kernel on the same grid, whose
classification the other tests of tests/dynamics check against theory (Theorem 4.1 for f1,
chaos for f2 of (6.2), Fig. 4.1).  Converged and periodic orbits must agree to rounding
(state, period, cycle exponent, decision step); a chaotic orbit amplifies the few-ulp
differences of torch's log1p against the kernels' own, so there only the class, the
boundedness and the exponent (within its finite-time fluctuation) can agree.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np
import pytest

from msl.cli import main
from theory.dynamics import CLASS_NAMES, DeviceError, Schedule, SimulationResult, simulate

pytest.importorskip("torch")

CODE = {name: k for k, name in enumerate(CLASS_NAMES)}
#: f1: converged (eta < 2), undecided at the bifurcation eta = 2 (multiplier -1), periodic
#: {+-x_eta} (x_8 = 9.35 < bound), diverged (x_10 = 13.3 > bound = 10)
F1 = {"eta": [0.5, 1.2, 2.0, 3.0, 4.5, 8.0, 10.0], "x0": np.linspace(-4, 4, 10), "bound": 10.0}
#: f2 (C = 3): converged below 2/f2''(0) = 1/3, chaotic above
F2 = {"eta": [0.2, 0.6, 1.0, 1.7, 2.5], "x0": np.linspace(-3, 3, 10)}


def _pair(function, steps=1000, *, eta, x0, **settings):
    """(Numba kernel, PyTorch kernel on the CPU) on the same grid and settings."""
    kw = {"progress": False, **settings}
    return (simulate(function, eta, x0, steps, **kw),
            simulate(function, eta, x0, steps, device="torch-cpu", **kw))


@pytest.fixture(scope="module")
def f1_pair():
    return _pair("f1", **F1)


@pytest.fixture(scope="module")
def f2_pair():
    return _pair("f2", **F2)


def _agree(cpu: SimulationResult, gpu: SimulationResult):
    np.testing.assert_array_equal(gpu.classes, cpu.classes)
    np.testing.assert_array_equal(gpu.period, cpu.period)
    cyclic = cpu.classes <= CODE["periodic"]
    np.testing.assert_array_equal(gpu.decided_step[cyclic], cpu.decided_step[cyclic])
    np.testing.assert_allclose(gpu.final_state[cyclic], cpu.final_state[cyclic],
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(gpu.lyapunov[cyclic], cpu.lyapunov[cyclic], rtol=1e-9,
                               atol=1e-12)


def test_f1_agrees_orbit_by_orbit(f1_pair):
    cpu, gpu = f1_pair
    counts = cpu.counts()
    for name in ("converged", "periodic", "undecided", "diverged"):
        assert counts[name] > 0, (name, counts)  # the grid covers these classes
    _agree(cpu, gpu)
    diverged = cpu.classes == CODE["diverged"]
    assert np.all(np.isnan(gpu.lyapunov[diverged]))
    np.testing.assert_array_equal(gpu.decided_step[diverged], cpu.decided_step[diverged])
    # undecided at eta = 2: both followed the orbit to the end, same slow spiral
    undecided = cpu.classes == CODE["undecided"]
    np.testing.assert_allclose(gpu.final_state[undecided], cpu.final_state[undecided],
                               rtol=1e-9)
    np.testing.assert_allclose(gpu.lyapunov[undecided], cpu.lyapunov[undecided], atol=1e-9)


def test_f2_agrees_orbit_by_orbit(f2_pair):
    cpu, gpu = f2_pair
    counts = cpu.counts()
    assert counts["converged"] > 0 and counts["chaotic"] > 0, counts
    _agree(cpu, gpu)
    chaotic = cpu.classes == CODE["chaotic"]
    # bounded like the reference: |x_t| <= max(|x0|, 2 eta) since |f2'| <= 2 (docs/simulator.md)
    limit = np.maximum(np.abs(cpu.x0[None, :, 0]), 2 * cpu.eta[:, None])
    assert np.all(np.abs(gpu.final_state[..., 0])[chaotic] <= limit[chaotic] + 1e-12)
    # the finite-time exponent of a chaotic orbit fluctuates (500-step window): per orbit
    # within 0.3, averaged over the 10 initial points of a learning rate within 0.08
    assert np.all(np.abs(gpu.lyapunov - cpu.lyapunov)[chaotic] < 0.3)
    for i in range(cpu.eta.size):
        if chaotic[i].all():
            assert abs(gpu.lyapunov[i].mean() - cpu.lyapunov[i].mean()) < 0.08, cpu.eta[i]


def test_result_format_is_the_cpu_one(f1_pair, tmp_path):
    cpu, gpu = f1_pair
    assert type(gpu) is SimulationResult
    for name in ("final_state", "classes", "period", "lyapunov", "decided_step"):
        a, b = getattr(cpu, name), getattr(gpu, name)
        assert (a.shape, a.dtype) == (b.shape, b.dtype), name
    assert gpu.metadata["device"] == "torch-cpu" and "device" not in cpu.metadata
    assert gpu.metadata["kernel"].startswith("torch-")
    # "engine" (numba or numpy, issue 12) is a CPU setting: a device run records its device
    assert cpu.metadata["engine"] == "numba" and "engine" not in gpu.metadata
    same = {k: v for k, v in cpu.metadata.items()
            if k not in ("kernel", "chunk_size", "engine")}
    assert {k: gpu.metadata[k] for k in same} == same
    gpu.save(tmp_path / "r.npz")
    loaded = SimulationResult.load(tmp_path / "r.npz")
    np.testing.assert_array_equal(loaded.classes, gpu.classes)


def test_schedule_tail_loss_and_no_early_exit_agree():
    """Fig. 4.1 left (learning-rate decay 5 -> 3 -> 1) with the tail and the loss recorded,
    every orbit run to the end (early_exit=False), and orbits diverged (beyond bound = 3.5:
    loss +inf after the decision) or undecided without Lyapunov exponents (eta = 2,
    lyapunov=False: NaN); f1 at the cached kernel."""
    settings = {"eta": [2.0, 2.5, 5.0], "x0": [-3.0, -0.5, 0.0, 1.5, 4.0], "keep_last": 7,
                "record_loss": True}
    for extra in ({"schedule": Schedule.from_rates((1.0, 0.6, 0.2), (60, 90))},
                  {"early_exit": False},
                  {"bound": 3.5, "lyapunov": False}):
        cpu, gpu = _pair("f1", steps=400, **settings, **extra)
        _agree(cpu, gpu)
        np.testing.assert_array_equal(np.isnan(gpu.lyapunov), np.isnan(cpu.lyapunov))
        np.testing.assert_allclose(gpu.tail, cpu.tail, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(gpu.loss, cpu.loss, rtol=1e-9, atol=1e-12)
        if "bound" in extra:
            counts = cpu.counts()
            assert counts["diverged"] > 0 and counts["undecided"] > 0, counts
            assert np.all(np.isinf(gpu.loss[cpu.classes == CODE["diverged"]][:, -1]))


@pytest.mark.parametrize("device", ["gpu", "CUDA:x", "tpu", "", 0, None])
def test_unknown_device_is_refused(device):
    with pytest.raises(DeviceError, match="device="):
        simulate("f1", 1.0, [1.0], 10, device=device, progress=False)


def test_cuda_without_a_gpu_is_a_clear_error(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceError, match=r"device='cuda'.*CUDA is not available"):
        simulate("f1", 1.0, [1.0], 10, device="cuda", progress=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(DeviceError, match=r"device='cuda:3'.*only 1 CUDA device"):
        simulate("f1", 1.0, [1.0], 10, device="cuda:3", progress=False)


def test_missing_torch_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    with pytest.raises(DeviceError, match=r"device='cuda' needs PyTorch"):
        simulate("f1", 1.0, [1.0], 10, device="cuda", progress=False)


def test_cli_device(capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    argv = ["simulate", "f1", "--eta", "3", "--x0", "-2:2:5", "--steps", "400"]
    assert main([*argv, "--device", "cuda"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "device='cuda'" in err and "CUDA is not available" in err
    assert main([*argv, "--device", "cuda", "--optimizer", "momentum", "--beta", "0.5"]) == 2
    assert "--device 'cuda'" in capsys.readouterr().err
    assert main([*argv, "--json"]) == 0
    cpu = capsys.readouterr().out
    assert main([*argv, "--json", "--device", "torch-cpu"]) == 0
    gpu = capsys.readouterr().out
    assert gpu.split('"lyapunov_median"')[0] == cpu.split('"lyapunov_median"')[0]


def test_f3_two_dimensional_with_the_removable_singularity_agrees():
    """f3 (Fig. 4.1 right, d = 2; its kernel is compiled by test_theory.py): chaotic at
    eta = 1, converged below 2/lambda_max(Hess f3(0)) = 0.118; x0 = 0 starts on the 0/0 of
    its gradient (x log(1 + r)/r), which both kernels repair the same way."""
    x0 = np.array([[0.0, 0.0], [-3.0, 3.0], [-2.5, 3.2], [0.4, -0.3], [1.0, 2.0]])
    cpu, gpu = _pair("f3", steps=1200, eta=[1.0, 0.1], x0=x0, keep_last=3)
    assert np.all(cpu.class_names[1] == "converged")
    assert np.all(cpu.class_names[0, 1:] == "chaotic")
    _agree(cpu, gpu)
    chaotic = cpu.classes == CODE["chaotic"]
    assert np.all(np.abs(gpu.lyapunov - cpu.lyapunov)[chaotic] < 0.3)
    assert np.all(np.isfinite(gpu.tail)) and np.max(np.abs(gpu.tail)) < 10.0


def test_device_chunks_fit_in_device_memory():
    """Default GPU chunks: 2^30 point-steps, fewer when loss curves must fit as well."""
    from theory.dynamics import SimulationOptions
    from theory.dynamics._gpu import GPU_CHUNK_BYTES, GPU_CHUNK_WORK, device_chunk_size

    plain = SimulationOptions(steps=2000)
    assert device_chunk_size(plain, 1) == GPU_CHUNK_WORK // 2000
    with_loss = plain.replace(record_loss=True)
    chunk = device_chunk_size(with_loss, 1)
    assert chunk * 8 * 2001 <= GPU_CHUNK_BYTES and chunk < GPU_CHUNK_WORK // 2000
    assert device_chunk_size(plain.replace(steps=10**9), 1) == 4 * plain.block


_SIMULATED = r"""
import json, numpy as np
from theory.dynamics import simulate
out = {}
for fn, eta, x0, steps, kw in (
        ("f1", [0.5, 3.0, 10.0], [-4.0, 2.5], 300, {"bound": 10.0}),
        ("f2", [0.2, 1.0], [-3.0, 1.5], 700, {}),
        ("f3", [0.1], [[-3.0, 3.0]], 250, {})):
    cpu = simulate(fn, eta, x0, steps, progress=False, **kw)
    gpu = simulate(fn, eta, x0, steps, progress=False, device="torch-cpu", **kw)
    out[fn] = {"kernel": gpu.metadata["kernel"], "counts": cpu.counts(),
               **{f"{k}_{n}": getattr(r, n).tolist() for k, r in (("cpu", cpu), ("gpu", gpu))
                  for n in ("classes", "period", "final_state", "lyapunov", "decided_step")}}
print(json.dumps(out))
"""


def test_fused_cuda_step_in_the_cuda_simulator_agrees():
    """The fused CUDA step (one numba-cuda thread per orbit, docs/gpu.md), run by numba's CUDA
    simulator (it must be switched on before numba.cuda is imported: a fresh process),
    inside the PyTorch kernel, against the Numba kernel: f1 (converged, periodic, diverged),
    f2 (converged, chaotic), f3 (2-D, converged).  The simulator runs Python, so 0/0 raises
    there: no orbit of this grid meets a removable singularity."""
    import json
    import os
    import subprocess

    pytest.importorskip("numba.cuda")
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1", "MSL_GPU_FUSED": "sim"}
    done = subprocess.run([sys.executable, "-c", _SIMULATED], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["f1"]["counts"]["diverged"] and out["f2"]["counts"]["chaotic"]
    for fn, r in out.items():
        assert r["kernel"].startswith("torch-fused-"), r["kernel"]
        for name in ("classes", "period"):
            assert r[f"gpu_{name}"] == r[f"cpu_{name}"], (fn, name)
        cls = np.array(r["cpu_classes"])
        cyclic = cls <= CODE["periodic"]
        for name in ("final_state", "lyapunov", "decided_step"):
            np.testing.assert_allclose(np.array(r[f"gpu_{name}"])[cyclic],
                                       np.array(r[f"cpu_{name}"])[cyclic], rtol=1e-9,
                                       atol=1e-12, err_msg=f"{fn} {name}")


def test_fused_step_failures_fall_back_to_the_torch_step(monkeypatch):
    """A fused step that cannot be built, or whose launch fails, leaves the PyTorch step
    (same numbers) with a RuntimeWarning saying why."""
    from theory.dynamics import _gpu, _gpu_fused

    monkeypatch.setenv("MSL_GPU_FUSED", "sim")

    def broken(*args, **kwargs):
        raise RuntimeError("no CUDA target here")

    monkeypatch.setattr(_gpu_fused, "FusedSteps", broken)
    with pytest.warns(RuntimeWarning, match="fused CUDA step unavailable.*no CUDA target"):
        assert _gpu._fused_steps(SimpleNamespace(name="f1"), "torch-cpu") is None

    class FailingLaunch:
        source = "failing"

        def __call__(self, *args):
            raise RuntimeError("launch failed")

    monkeypatch.setattr(_gpu, "_KERNELS", {})
    monkeypatch.setattr(_gpu, "_fused_steps", lambda landscape, device: FailingLaunch())
    eta, x0 = [0.5, 3.0], np.linspace(-2, 2, 5)
    with pytest.warns(RuntimeWarning, match="fused CUDA step failed.*launch failed"):
        fell_back = simulate("f1", eta, x0, 300, device="torch-cpu", progress=False)
    assert fell_back.metadata["kernel"].startswith("torch-fused-")
    monkeypatch.setenv("MSL_GPU_FUSED", "0")
    monkeypatch.setattr(_gpu, "_fused_steps", lambda landscape, device: None)
    plain = simulate("f1", eta, x0, 300, device="torch-cpu", progress=False)
    np.testing.assert_array_equal(fell_back.final_state, plain.final_state)
    np.testing.assert_array_equal(fell_back.classes, plain.classes)
