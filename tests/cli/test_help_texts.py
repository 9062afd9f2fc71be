"""Every option of every ``msl`` command says what it does and its default (issue 22), and
``msl reproduce --help`` lists every stage of STAGES."""

from __future__ import annotations

import argparse

from msl.cli import build_parser


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_every_option_of_every_command_has_help_text_and_shows_its_default():
    missing, no_default = [], []
    for name, parser in _subparsers().items():
        formatter = parser._get_formatter()
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            label = f"msl {name} {'/'.join(action.option_strings) or action.dest}"
            if not (action.help or "").strip():
                missing.append(label)
            default = action.default
            if (action.option_strings and isinstance(default, (int, float, str))
                    and not isinstance(default, bool)
                    and not isinstance(action, argparse._StoreConstAction)
                    and "default" not in (formatter._get_help_string(action) or "")):
                no_default.append(label)
    assert not missing, f"options without help text: {missing}"
    assert not no_default, f"options whose help does not give the default: {no_default}"


def test_reproduce_help_lists_every_stage_and_group():
    from msl.reproduction.stages import GROUPS, STAGES

    text = " ".join(_subparsers()["reproduce"].format_help().split())
    for stage in STAGES:
        assert f"{stage.name}: " in text, stage.name
    for group in GROUPS:
        assert f"{group}: " in text, group


def test_periodic_point_offers_only_the_optimizers_it_accepts():
    (action,) = [a for a in _subparsers()["periodic-point"]._actions
                 if "--optimizer" in a.option_strings]
    from theory.optimizers import MAPS

    # every map of the registry but SGD (no periodic orbit), with its aliases (issue 19)
    expected = {alias for m in MAPS.values() if m.name != "sgd"
                for alias in (m.name, *m.aliases)}
    assert set(action.choices) == expected
    assert {"gd", "momentum", "nesterov", "gd-wd", "normalized-gd"} <= expected
    assert "sgd" not in expected
