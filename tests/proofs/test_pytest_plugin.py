"""The pytest plugin: a user's suite outside the package runs with plain pytest, the
fixtures work, and the assertion helpers name the function, the learning rate, the violated
inequality and the certified interval."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import sympy as sp

from proofs_check import families as fam
from proofs_check.pytest_plugin import PROFILES, selected_profile
from proofs_check.testing import (
    ClaimAssertionError,
    assert_hypotheses,
    assert_lemma_4_1,
    assert_theorem_4_1,
)
from theory.errors import MslValueError

ROOT = Path(__file__).resolve().parents[2]
USER_SUITE = ROOT / "examples" / "user_suite"


def _entry_point_installed() -> bool:
    return any(ep.value == "proofs_check.pytest_plugin"
               for ep in importlib.metadata.entry_points(group="pytest11"))


def test_user_suite_runs_with_plain_pytest(tmp_path):
    # with the package pip-installed, pytest finds the plugin through its pytest11 entry
    # point; in a bare source checkout it is named with -p, as a user without pip would
    command = [sys.executable, "-m", "pytest", str(USER_SUITE), "-p", "no:cacheprovider",
               "--msl-profile", "ci"]
    if not _entry_point_installed():
        command[3:3] = ["-p", "proofs_check.pytest_plugin"]
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_PROFILE"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "5 passed" in run.stdout
    assert "multiscale-landscapes: hypothesis profile msl-ci" in run.stdout
    assert not (USER_SUITE / ".hypothesis").exists()  # the database went to the cwd


def test_catalog_fixture_builds_lazily(msl_catalog):
    assert "f1" in msl_catalog and len(msl_catalog) == len(list(msl_catalog))
    assert msl_catalog["f1"] is msl_catalog["f1"]
    assert msl_catalog["f1"].threshold == 2  # 2/f1''(0), f1''(0) = 1
    with pytest.raises(KeyError, match="not a catalog name"):
        msl_catalog["f9"]


def test_certify_and_assert_fixtures(msl_certify, msl_assert):
    assert msl_certify("f2", "lemma_4_1")["f'' non-increasing"].status.value == "fails"
    msl_assert.hypotheses("pseudo_huber")


def test_assert_theorem_4_1_names_function_eta_inequality_and_interval():
    with pytest.raises(ClaimAssertionError) as info:
        assert_theorem_4_1("f2", 2.0)
    message = str(info.value)
    assert "Theorem 4.1 fails for f = f2 at eta = 2 " in message
    assert "threshold 2/f''(0) = 0.3333333333" in message  # f2''(0) = 2 C^2/3 = 6
    assert "violated: f'' non-increasing -- f''(x) decreases as |x| increases" in message
    assert "certified interval: f'''(x) <= 0 on (0, 1.09951e+12]" in message
    assert info.value.function == "f2" and info.value.eta == 2.0
    assert info.value.intervals == ("f'''(x) <= 0 on (0, 1.09951e+12]",)


def test_assert_theorem_4_1_reports_an_unconfirmed_conclusion():
    # the hypotheses hold, but 10 steps are too few for GD to reach the 2-cycle
    f = fam.profile("log_cosh", sp.Integer(1), sp.Integer(1))
    with pytest.raises(ClaimAssertionError, match=r"(?s)at eta = 5\b.*the conclusion does not "
                       r"hold.*violated: GD converges to 0 or \+-x_eta.*x_eta\(eta=5\) in \["):
        assert_theorem_4_1(f, 5.0, max_steps=10, starts=4)
    assert assert_theorem_4_1(f, 5.0, starts=4).confirmed  # the default budget suffices


def test_assert_lemma_4_1_and_hypotheses():
    result = assert_lemma_4_1("pseudo_huber", 3.0)
    x_eta = result.constant("x_eta(eta=3)")
    assert x_eta.lower <= 5**0.5 / 2 <= x_eta.upper  # sqrt(eta^2 - 4)/2
    with pytest.raises(ClaimAssertionError, match=r"hypothesis 'C\^2' .* expected fails"):
        assert_hypotheses("pseudo_huber", fails=["C^2"])
    with pytest.raises(MslValueError, match="not hypotheses of theorem_4_1"):
        assert_hypotheses("pseudo_huber", fails=["convex"])
    with pytest.raises(MslValueError, match="one learning rate"):
        assert_lemma_4_1("pseudo_huber", [3.0, 4.0])


def test_profile_option_and_environment(monkeypatch):
    def config(option):
        return SimpleNamespace(getoption=lambda name, default=None: option)

    monkeypatch.delenv("MSL_HYPOTHESIS_PROFILE", raising=False)
    assert selected_profile(config(None)) is None  # Hypothesis' settings are left alone
    assert selected_profile(config("thorough")) == "thorough"
    monkeypatch.setenv("MSL_HYPOTHESIS_PROFILE", "ci")
    assert selected_profile(config(None)) == "ci"
    assert selected_profile(config("dev")) == "dev"  # the option wins
    monkeypatch.setenv("MSL_HYPOTHESIS_PROFILE", "fast")
    with pytest.raises(pytest.UsageError, match="MSL_HYPOTHESIS_PROFILE='fast'"):
        selected_profile(config(None))
    assert PROFILES["ci"]["derandomize"] and PROFILES["thorough"]["max_examples"] == 400
