"""The first sweep of a function says that its kernel is compiling (issue 22: the bar sat at
0% for 10-20 s without a word); a compiled kernel says nothing."""

from __future__ import annotations

from types import SimpleNamespace

import theory.dynamics._engine as engine
from theory.dynamics._progress import compile_notice


def test_notice_only_before_the_first_compile(monkeypatch, capsys):
    compiled = SimpleNamespace(name="f1")
    monkeypatch.setattr(engine, "kernel_is_compiled", lambda c: False)
    assert compile_notice(compiled) is True
    err = capsys.readouterr().err
    assert err.startswith("compiling the GD kernel for f1 (first time, ~20 s")
    monkeypatch.setattr(engine, "kernel_is_compiled", lambda c: True)
    assert compile_notice(compiled) is False
    assert capsys.readouterr().err == ""
