"""Lazy package front doors: public names imported on first use (PEP 562).

Each package of the project (``theory``, ``proofs_check``, ``empirical``) lists its public
names and the module that defines each; :func:`lazy_exports` returns the ``__getattr__`` and
``__dir__`` that import a module only when one of its names is asked for.  So ``import
theory`` or ``import empirical`` costs nothing, and ``msl --help`` never loads sympy, numba
or torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping

__all__ = ["lazy_exports"]


def lazy_exports(package: str, namespace: dict, exports: Mapping[str, Iterable[str]],
                 submodules: Iterable[str] = ()
                 ) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``.

    ``exports`` maps each defining module (absolute, or relative to the package when it has
    no dot: ``"_eos"`` is ``package._eos``) to the public names it defines; ``submodules``
    are reachable as attributes.  A name is stored in
    ``namespace`` (the package's ``globals()``) once imported.
    """
    submodules = tuple(submodules)
    home = {name: module for module, names in exports.items() for name in names}

    def module_path(name: str) -> str:
        return name if "." in name else f"{package}.{name}"

    def __getattr__(name: str):
        if name in submodules:
            value = importlib.import_module(f"{package}.{name}")
        elif name in home:
            value = getattr(importlib.import_module(module_path(home[name])), name)
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(home) | set(submodules))

    return __getattr__, __dir__
