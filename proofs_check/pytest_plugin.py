"""pytest plugin of multiscale-landscapes: fixtures, assertion helpers and Hypothesis profiles
for tests about the claims of Section 4 (registered through the ``pytest11`` entry point, so
it is active in any test run once the package is installed; or load it explicitly with
``pytest -p proofs_check.pytest_plugin``).

Fixtures:

* ``msl_catalog`` (session) -- the catalog, name -> function, built lazily on first access
  (``msl_catalog["f1"]``, ``list(msl_catalog)``);
* ``msl_certify`` (session) -- :func:`proofs_check.testing.certify_hypotheses`: the certified
  hypotheses of Lemma 4.1 / Theorem 4.1 / Definition 4.1 on a function;
* ``msl_assert`` (session) -- the assertion helpers: ``msl_assert.theorem_4_1(f, eta)``,
  ``msl_assert.lemma_4_1(f, eta)``, ``msl_assert.hypotheses(f, claim, fails=...)``, whose
  failures name the function, the learning rate, the violated inequality and the certified
  interval (also importable: ``from proofs_check.testing import assert_theorem_4_1``).

Hypothesis profiles ``msl-dev`` (15 examples), ``msl-ci`` (40, derandomized) and
``msl-thorough`` (400): select one with ``--msl-profile dev|ci|thorough`` (or the environment
variable ``MSL_HYPOTHESIS_PROFILE``); without either, the plugin leaves Hypothesis' settings
alone.  All three have ``deadline=None`` (building a function takes sympy seconds) and
suppress only the ``too_slow`` health check.  The strategies live in
:mod:`proofs_check.strategies`.

Importing this module imports neither Hypothesis nor sympy: a test session that does not use
the fixtures pays nothing for the plugin.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from types import SimpleNamespace

import pytest

#: profile name -> Hypothesis settings (keyword arguments)
PROFILES: dict[str, dict] = {
    "dev": {"max_examples": 15},
    "ci": {"max_examples": 40, "derandomize": True, "print_blob": True},
    "thorough": {"max_examples": 400},
}
#: environment variable naming a profile when --msl-profile is not given
ENVIRONMENT = "MSL_HYPOTHESIS_PROFILE"


def register_profiles() -> None:
    """Register the Hypothesis profiles ``msl-<name>`` for every name of :data:`PROFILES`."""
    from hypothesis import HealthCheck, settings

    for name, values in PROFILES.items():
        settings.register_profile(f"msl-{name}", deadline=None,
                                  suppress_health_check=[HealthCheck.too_slow], **values)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("multiscale-landscapes", "multiscale-landscapes (msl)")
    group.addoption("--msl-profile", choices=sorted(PROFILES), default=None,
                    help="load the Hypothesis profile msl-<name> (dev: 15 examples, ci: 40 "
                         f"derandomized, thorough: 400); default: ${ENVIRONMENT} if set, else "
                         "Hypothesis' own settings are left alone")


def selected_profile(config: pytest.Config) -> str | None:
    """The profile name chosen by --msl-profile or $MSL_HYPOTHESIS_PROFILE (None: none)."""
    name = config.getoption("msl_profile", default=None) or os.environ.get(ENVIRONMENT) or None
    if name is not None and name not in PROFILES:
        raise pytest.UsageError(f"{ENVIRONMENT}={name!r} must be one of {sorted(PROFILES)}")
    return name


def pytest_configure(config: pytest.Config) -> None:
    name = selected_profile(config)
    if name is not None:
        from hypothesis import settings

        register_profiles()
        settings.load_profile(f"msl-{name}")


def pytest_report_header(config: pytest.Config) -> str | None:
    name = selected_profile(config)
    return None if name is None else f"multiscale-landscapes: hypothesis profile msl-{name}"


class LazyCatalog(Mapping):
    """The catalog as a read-only mapping name -> function, each built on first access."""

    def __init__(self):
        from theory import catalog

        self._catalog = catalog
        self._names = tuple(catalog.names())
        self._built: dict[str, object] = {}

    def __getitem__(self, name: str):
        if name not in self._names:
            raise KeyError(f"{name!r} is not a catalog name ({', '.join(self._names)})")
        if name not in self._built:
            self._built[name] = self._catalog.get(name)
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


@pytest.fixture(scope="session")
def msl_catalog() -> LazyCatalog:
    """The catalog of the paper's functions, name -> function (built on first access)."""
    return LazyCatalog()


@pytest.fixture(scope="session")
def msl_certify() -> Callable:
    """:func:`proofs_check.testing.certify_hypotheses` (f, hypotheses="theorem_4_1").
    Session-scoped and stateless, so it can be used in ``@given`` tests."""
    from proofs_check.testing import certify_hypotheses

    return certify_hypotheses


@pytest.fixture(scope="session")
def msl_assert() -> SimpleNamespace:
    """The assertion helpers of :mod:`proofs_check.testing`: ``theorem_4_1(f, eta)``,
    ``lemma_4_1(f, eta)`` and ``hypotheses(f, claim, fails=...)``."""
    from proofs_check import testing

    return SimpleNamespace(theorem_4_1=testing.assert_theorem_4_1,
                           lemma_4_1=testing.assert_lemma_4_1,
                           hypotheses=testing.assert_hypotheses)
