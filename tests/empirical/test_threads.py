"""The built-in experiments choose torch's thread count for their own loops and give the
caller's back (issue 22: ``run_eos`` from Python took 466 s with torch's default thread
count on a busy 2-core machine against 15 s for ``msl eos``, which uses one thread)."""

from __future__ import annotations

import pytest
import torch

import empirical
from empirical import ProblemSpec, library_threads, torch_threads
from empirical.errors import ExperimentError


@pytest.fixture
def three_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    yield
    torch.set_num_threads(before)


def test_run_eos_uses_one_thread_and_restores_the_callers_setting(three_threads, monkeypatch):
    import empirical._eos as eos_module

    seen = []
    real = eos_module.run_gd

    def recording(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(eos_module, "run_gd", recording)
    monkeypatch.delenv("MSL_TORCH_THREADS", raising=False)
    spec = ProblemSpec(n_train=40, n_test=0, width=8)
    result = empirical.run_eos(spec, lr=0.5, steps=20, sharpness_every=5, progress=False)
    assert len(result.trace.losses) > 0
    assert seen == [1]
    assert torch.get_num_threads() == 3


@pytest.mark.parametrize(("value", "expected"), [("2", 2), ("keep", None), (" 4 ", 4),
                                                 ("", 1)])
def test_the_environment_variable_chooses(monkeypatch, value, expected):
    monkeypatch.setenv("MSL_TORCH_THREADS", value)
    assert library_threads() == expected


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_bad_environment_value_is_named(monkeypatch, value):
    monkeypatch.setenv("MSL_TORCH_THREADS", value)
    with pytest.raises(ExperimentError, match=f"MSL_TORCH_THREADS={value!r}"):
        library_threads()


def test_the_setting_comes_back_after_an_exception(three_threads):
    with pytest.raises(RuntimeError), torch_threads(1):
        assert torch.get_num_threads() == 1
        raise RuntimeError("boom")
    assert torch.get_num_threads() == 3
    with torch_threads(None):
        assert torch.get_num_threads() == 3
