"""Every optimizer a command offers in its ``--help`` runs (issue 22: ``msl phase-diagram
--help`` and ``msl periodic-point --help`` listed ``sgd`` and ``--sigma`` and then refused
them).

The choices are read from the parsers themselves, so an optimizer added to the registry is
tried here without a change: each one runs on a tiny grid (exit 0), with the
hyperparameters its registry entry names.  A command that does not take an optimizer
(sgd for the orbit commands) does not list it or its flags, and argparse refuses it.
"""

from __future__ import annotations

import argparse

import pytest

from msl.cli import build_parser, main

#: the value given to each registry hyperparameter flag
VALUES = {"beta": "0.5", "sigma": "0.1", "weight_decay": "0.1"}
COMMANDS = ("simulate", "phase-diagram", "periodic-point", "bifurcation")


def _subparser(command: str) -> argparse.ArgumentParser:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[command]


def offered(command: str) -> tuple[str, ...]:
    """The ``--optimizer`` choices of ``command``, canonical names only (aliases resolve
    to them, checked below)."""
    from theory.optimizers import get_map

    action = next(a for a in _subparser(command)._actions if "--optimizer" in a.option_strings)
    names = []
    for choice in action.choices:
        name = get_map(choice).name  # every alias names a registry map
        if name not in names:
            names.append(name)
    return tuple(names)


def _flags(command: str, name: str) -> list[str]:
    """The hyperparameter flags of ``name`` (from the registry) that ``command`` takes."""
    from theory.optimizers import get_map

    parser = _subparser(command)
    taken = {s for a in parser._actions for s in a.option_strings}
    out = []
    for h in get_map(name).hyper:
        assert h.flag in taken, f"msl {command} offers {name} but not its flag {h.flag}"
        out += [h.flag, VALUES[h.name]]
    return out


def _argv(command: str, name: str, tmp_path) -> list[str]:
    from theory.optimizers import get_map

    opt = ["--optimizer", name, *_flags(command, name)]
    # the single-state maps on the numpy engine: no kernel to compile for a tiny grid
    engine = ["--engine", "numpy"] if get_map(name).single_state else []
    if command == "simulate":
        extra = ["--replicas", "4"] if name == "sgd" else engine
        return ["simulate", "f1", "--eta", "1", "--x0", "0.5", "--steps", "20", *opt, *extra]
    if command == "phase-diagram":
        return ["phase-diagram", "f1", "--eta", "1:3:2", "--x0", "0.1:1:2", "--steps", "20",
                "--out", str(tmp_path / "pd"), *opt, *engine]
    if command == "periodic-point":
        return ["periodic-point", "f1", "--eta", "5", *opt]
    return ["bifurcation", "x**2/2+x**4/4", "--eta", "1.9:2.3", "--doublings", "1", *opt]


CASES = [(command, name) for command in COMMANDS for name in offered(command)]


@pytest.mark.parametrize("command, name", CASES, ids=[f"{c}-{n}" for c, n in CASES])
def test_every_offered_optimizer_runs(command, name, tmp_path, capsys):
    assert main(_argv(command, name, tmp_path)) == 0, capsys.readouterr().err


def test_the_deterministic_commands_offer_no_sgd(capsys):
    from theory.optimizers import MAPS

    assert "sgd" in offered("simulate")
    assert set(offered("simulate")) == set(MAPS)  # simulate runs every registry map
    for command in ("phase-diagram", "periodic-point"):
        assert "sgd" not in offered(command)
        help_text = _subparser(command).format_help()
        for flag in ("--sigma", "--replicas", "--noise", "sgd:"):
            assert flag not in help_text, (command, flag)
        with pytest.raises(SystemExit) as info:
            main([command, "f1", "--eta", "3", "--optimizer", "sgd"])
        assert info.value.code == 2
        assert "invalid choice: 'sgd'" in capsys.readouterr().err
