"""``msl.stage_names`` (what ``msl reproduce --help`` lists without importing the stage
table) says what :data:`msl.reproduction.STAGES` holds: the same stages, titles and order,
and groups that mean what their names say."""

from __future__ import annotations

from msl.reproduction import GROUPS, STAGES
from msl.stage_names import GROUPS as LISTED
from msl.stage_names import STAGE_NAMES, STAGE_TITLES


def test_names_and_titles_are_those_of_the_stage_table():
    assert list(STAGE_TITLES.items()) == [(s.name, s.title) for s in STAGES]
    assert STAGE_NAMES == tuple(s.name for s in STAGES)


def test_groups_are_the_stage_tables_groups():
    assert GROUPS == LISTED
    names = set(STAGE_NAMES)
    for group, members in LISTED.items():
        assert members and set(members) <= names and group not in names, group
        assert len(set(members)) == len(members), group
    assert LISTED["empirical"] == tuple(s.name for s in STAGES if s.empirical)
    assert LISTED["figures"] == tuple(s.name for s in STAGES if s.name.startswith("fig"))
    assert set(LISTED["theory"]) == names - set(LISTED["empirical"]) - {"check"}
    assert set(LISTED["beyond-gd"]) <= set(LISTED["theory"])


def test_the_help_lists_every_stage_and_group(capsys):
    import pytest

    from msl.cli import main

    with pytest.raises(SystemExit):
        main(["reproduce", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"Stages for --only ({len(STAGES)}, in order)" in text
    for s in STAGES:
        assert f"{s.name}: {s.title}" in text
    for group in GROUPS:
        assert f"{group}: " in text
