"""Compile a landscape into Numba GD kernels, cached on disk.

:func:`compile_landscape` prints the landscape's derivatives as Python source
(:mod:`theory.dynamics._codegen`), writes it once to
``<cache dir>/msl_gd_<hash>.py`` and imports it.  The kernels are ``@njit(cache=True)``, so
Numba keeps their machine code in ``<cache dir>/__pycache__``: a second process that
simulates the same function loads it instead of compiling.  The hash covers the generated
code (not its comments, so a function's name does not matter), the sources of the shared
compiled helpers (:mod:`._support`, :mod:`._elementary`, :mod:`._template`) and the Numba and
Python versions, so any change there gives a new module (no stale machine code).

Cache directory: ``$MSL_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/multiscale-landscapes``
(``~/.cache/multiscale-landscapes``), subfolder ``gd-kernels``; if that cannot be written, a
per-user folder in the system's temporary directory.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType

import numba
import sympy as sp

from theory.dynamics import _elementary, _float_rules, _settings, _support, _template
from theory.dynamics._codegen import module_source
from theory.dynamics._errors import CompileError
from theory.files import atomic_write_text
from theory.landscape import Landscape
from theory.resolver import FunctionLike, as_landscape

__all__ = ["CompiledLandscape", "as_landscape", "cache_directory", "compile_landscape"]

_LOCK = threading.Lock()
#: kernel key (hash of the generated code) -> the module, as first compiled
_LOADED: dict[str, CompiledLandscape] = {}
#: _function_key(function) -> compile_landscape(function), for this process
_BY_FUNCTION: dict[tuple, CompiledLandscape] = {}


def cache_directory() -> Path:
    """Where generated kernel modules (and Numba's cache of them) live."""
    root = os.environ.get("MSL_CACHE_DIR")
    if root:
        base = Path(root)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (Path(xdg) if xdg else Path.home() / ".cache") / "multiscale-landscapes"
    return base / "gd-kernels"


def _source_hash(*texts: str) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:20]


def _module_text(path: Path | str) -> str:
    return Path(path).read_text()


@dataclass(frozen=True, eq=False)
class CompiledLandscape:
    """The compiled GD kernels of one landscape.

    ``module`` is the generated module (its ``run`` is the parallel kernel called by
    :func:`theory.dynamics.simulate`; ``loss``, ``grad``, ``grad_hess`` are the scalar
    functions); ``path`` its source file; ``key`` the hash in its name.
    """

    name: str
    dim: int
    expr: sp.Expr
    variables: tuple[sp.Symbol, ...]
    key: str
    path: Path
    module: ModuleType
    #: the landscape whose derivatives were printed (its gradient/Hessian, in its variables,
    #: for the NumPy engine: :mod:`theory.dynamics._numpy_kernel`)
    landscape: Landscape | None = field(default=None, repr=False, compare=False)
    #: the map the kernels iterate (a single-state name of theory.optimizers.MAPS)
    optimizer: str = "gd"

    @property
    def run(self):
        """The parallel GD kernel (see ``run`` in :mod:`theory.dynamics._template`)."""
        return self.module.run

    def cache_index_files(self) -> list[Path]:
        """Numba's cache index files (``*.nbi``) of this module's kernels (beside the module,
        or under ``NUMBA_CACHE_DIR`` when that is set)."""
        pattern = f"{self.path.stem}.*.nbi"
        found = list((self.path.parent / "__pycache__").glob(pattern))
        if os.environ.get("NUMBA_CACHE_DIR"):
            found += Path(os.environ["NUMBA_CACHE_DIR"]).rglob(pattern)
        return sorted(found)


def _named(compiled: CompiledLandscape, landscape) -> CompiledLandscape:
    """``compiled`` (a module shared by landscapes with the same derivatives) under the
    name, expression and variables of ``landscape``."""
    if (compiled.name, compiled.expr, compiled.variables) == (
        landscape.name,
        landscape.expr,
        tuple(landscape.variables),
    ):
        return compiled
    return replace(
        compiled,
        name=landscape.name,
        expr=landscape.expr,
        variables=tuple(landscape.variables),
    )


def _code_lines(text: str) -> str:
    """``text`` without its comment lines (the landscape's name): what the kernel key hashes."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("#"))


def _write_once(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically unless a file with the same code is there (its
    comments may name another landscape with the same derivatives).  Keeping the file keeps
    its mtime, which Numba's cache index checks: rewriting it would recompile."""
    if path.exists():
        try:
            if _code_lines(path.read_text()) == _code_lines(text):
                return
        except (OSError, UnicodeDecodeError):
            pass
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)


def write_kernel_source(module_name: str, text: str) -> Path:
    """Write the generated module ``text`` once into the cache directory as
    ``<module_name>.py`` (a per-user temporary folder if that cannot be written); its path."""
    path = cache_directory() / f"{module_name}.py"
    try:
        _write_once(path, text)
    except OSError:  # cache directory not writable: a per-user temporary one
        fallback = Path(tempfile.gettempdir()) / f"multiscale-landscapes-{os.getuid()}"
        path = fallback / "gd-kernels" / f"{module_name}.py"
        _write_once(path, text)
    return path


def import_generated(name: str, path: Path):
    """Import the generated kernel module at ``path`` as ``name`` (left out of
    ``sys.modules`` if executing it fails, so a retry starts clean)."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the generated kernel {str(path)!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception:
        sys.modules.pop(name, None)
        raise
    return module


def _function_key(function) -> tuple | None:
    """What identifies ``compile_landscape(function)``'s result, found without sympy work.

    A catalog name or expression string, or a sympy expression, stands for itself (resolving
    it is deterministic).  A landscape (or an object with ``.landscape``) is identified by its
    name, expression and variables, and by the derivative expressions it holds already
    (given to it, or computed by an earlier call); ``None`` in their place stands for the
    derivatives of the expression.  None for anything else (no caching).
    """
    if isinstance(function, str):
        return ("text", function)
    if isinstance(function, sp.Expr):
        return ("expr", function)
    if not isinstance(function, FunctionLike):
        return None
    landscape = function.landscape
    if not isinstance(landscape, Landscape):
        return None
    known = landscape.__dict__
    return (
        "landscape",
        landscape.name,
        landscape.expr,
        tuple(landscape.variables),
        known.get("gradient_exprs"),
        known.get("hessian_exprs"),
    )


def compile_landscape(function, optimizer: str = "gd") -> CompiledLandscape:
    """Generate, write and import the kernels of ``function`` (see :func:`as_landscape`)
    iterating the map ``optimizer`` (GD by default; a single-state name of
    :data:`theory.optimizers.MAPS`).

    Numba compiles lazily, at the first simulation; with the on-disk cache, only once per
    machine for a given function.  Within a process the result is remembered per function
    (:func:`_function_key`), so that repeated simulations skip resolving the function,
    differentiating it and printing the kernels (~0.1 s per call).  Raises
    :class:`CompileError` when the landscape uses a function the printer cannot translate.
    """
    from theory.optimizers._maps import get_map

    optimizer = get_map(optimizer).name
    try:
        keys = {(optimizer, _function_key(function))} - {(optimizer, None)}
    except TypeError:  # an unhashable expression: no caching
        keys = set()
    with _LOCK:
        for key in keys:
            if key in _BY_FUNCTION:
                return _BY_FUNCTION[key]
    landscape = as_landscape(function)
    compiled = _compile(landscape, optimizer)
    with _LOCK:
        for key in keys | {(optimizer, _function_key(landscape))}:  # now with derivatives
            _BY_FUNCTION[key] = compiled
    return compiled


def _compile(landscape, optimizer: str = "gd") -> CompiledLandscape:
    """compile_landscape without the per-function memo: the sympy work, then the module
    (shared by landscapes with the same derivatives, named after this one)."""
    gradient = landscape.gradient_exprs
    hessian = landscape.hessian_exprs
    for e in (*gradient, *(h for row in hessian for h in row)):
        if e.has(sp.I) or e.has(sp.zoo) or e.has(sp.nan):
            raise CompileError(
                f"function={landscape.name!r} has a derivative that is complex or undefined: {e}"
            )
    text = module_source(
        name=landscape.name,
        expr=landscape.expr,
        variables=landscape.variables,
        gradient=gradient,
        hessian=hessian,
        optimizer=optimizer,
    )
    # the key ignores the comment lines (the landscape's name): the same derivatives under
    # another name (f1 typed as an expression) share the compiled module
    code = _code_lines(text)
    key = _source_hash(
        code,
        _module_text(_support.__file__),
        _module_text(_elementary.__file__),
        _module_text(_template.__file__),
        _module_text(_settings.__file__),
        _module_text(_float_rules.__file__),
        numba.__version__,
        sys.version.split()[0],
    )
    with _LOCK:
        if key in _LOADED:
            return _named(_LOADED[key], landscape)
        # the file is named by the key alone: a second process that meets the same
        # derivatives under another name (f1 typed out as an expression) finds this file
        # and Numba's machine code beside it, instead of compiling its own copy
        module_name = f"msl_gd_{key}"
        path = write_kernel_source(module_name, text)
        module = import_generated(module_name, path)
        compiled = CompiledLandscape(
            name=landscape.name,
            dim=landscape.dim,
            expr=landscape.expr,
            variables=tuple(landscape.variables),
            key=key,
            path=path,
            module=module,
            landscape=landscape,
            optimizer=optimizer,
        )
        _LOADED[key] = compiled
        return compiled
