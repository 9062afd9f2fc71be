"""msl reproduce's kernel helper (msl/reproduction/prewarm.py): it is started only for the
kernel stages, asks for the preset's own sweeps, and is waited for / stopped cleanly.
(That it hides the compile time is a measurement: README, cold runs.)"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from msl.reproduction import prewarm
from msl.reproduction.presets import QUICK


class _Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, args, **kwargs):
        self.calls.append((args, kwargs))
        return "process"


def test_started_only_for_kernel_stages_with_the_presets_sweeps(monkeypatch):
    recorder = _Recorder()
    monkeypatch.setattr(prewarm.subprocess, "Popen", recorder)
    assert prewarm.start(QUICK, ["fig2.1", "fig4.1", "check"]) is None
    assert prewarm.start(QUICK, ["fig2.1", "phase"]) == "process"
    args, kwargs = recorder.calls[-1]
    spec = json.loads(args[-1])
    assert spec == {"sweeps": [["f1", [0.5, 6.0], [-5.0, 5.0]], ["f2", [0.1, 3.0], [-5.0, 5.0]]],
                    "momentum": False}
    assert args[0] == sys.executable and kwargs["stdout"] is subprocess.DEVNULL
    prewarm.start(QUICK, ["momentum"])
    assert json.loads(recorder.calls[-1][0][-1]) == {"sweeps": [], "momentum": True}


def test_a_helper_that_cannot_start_is_no_error(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("no processes left")

    monkeypatch.setattr(prewarm.subprocess, "Popen", refuse)
    assert prewarm.start(QUICK, ["phase"]) is None
    prewarm.wait(None)
    prewarm.stop(None)


def test_wait_and_stop_end_the_helper():
    quick = subprocess.Popen([sys.executable, "-c", "pass"])
    prewarm.wait(quick)
    assert quick.returncode == 0
    slow = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    start = time.perf_counter()
    prewarm.stop(slow)
    assert slow.poll() is not None and time.perf_counter() - start < 10
