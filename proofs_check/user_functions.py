"""A user's own functions for ``msl check``: ``module:attribute`` specifications.

``msl check`` takes catalog names and expressions, and also ``MODULE:ATTRIBUTE`` where MODULE
is a Python file (``my_functions.py``, ``path/to/conjecture.py``) or an importable module
(``mypackage.landscapes``) and ATTRIBUTE (dotted names allowed) is

* one function: a :class:`theory.Subquadratic`, :class:`theory.Landscape`,
  :class:`theory.catalog.Separable`, :class:`~theory.catalog.Valley` or
  :class:`~theory.catalog.TwoValley`, or a string (catalog name or expression in x);
* a family: a list or tuple of such functions (labelled by their names), a dict label ->
  function, or a callable taking no argument that returns one of the above.

Every function then runs through the same claims, table, ``--json`` and exit codes as the
catalog.

**Loading a module runs its code.**  Importing the user's file or module executes it, with
the permissions of the ``msl`` process: that is the code the user asked to run, exactly as
``python my_functions.py`` would, so only name files you trust.  A file is imported under a
private module name (``msl_user_<stem>``), with its own directory first on ``sys.path`` while
it loads (so it can import its neighbours).  Every failure -- missing file, import error,
missing attribute, a value that is not a function -- is a :class:`UserFunctionError` (an
:class:`~theory.errors.MslValueError`: one line on stderr and exit code 2 on the CLI).
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from proofs_check._inputs import CheckInputError, any_function

#: MODULE:ATTRIBUTE -- the attribute a dotted Python name
_SPEC = re.compile(r"^(?P<module>[^:]+):(?P<attribute>[A-Za-z_]\w*(\.[A-Za-z_]\w*)*)$")


class UserFunctionError(CheckInputError):
    """A ``module:attribute`` specification could not be loaded as functions."""


def is_user_spec(text: str) -> bool:
    """Whether ``text`` has the form MODULE:ATTRIBUTE (expressions and catalog names never
    contain a colon)."""
    return isinstance(text, str) and _SPEC.match(text.strip()) is not None


def _import_file(path: Path, spec_text: str):
    if not path.is_file():
        raise UserFunctionError(f"{spec_text!r}: no such file {str(path)!r}")
    name = "msl_user_" + re.sub(r"\W", "_", path.stem)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UserFunctionError(f"{spec_text!r}: {str(path)!r} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    directory = str(path.resolve().parent)
    sys.path.insert(0, directory)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # sys.exit(0) at import must not end msl with 0
        sys.modules.pop(name, None)
        raise UserFunctionError(f"{spec_text!r}: importing {str(path)!r} raised "
                                f"{_raised(exc)}") from None
    finally:
        if directory in sys.path:
            sys.path.remove(directory)
    return module


def _import_module(name: str, spec_text: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        raise UserFunctionError(f"{spec_text!r}: no module named {exc.name or name!r} (give "
                                "a path to a .py file or an importable module)") from exc
    except (Exception, SystemExit) as exc:
        raise UserFunctionError(f"{spec_text!r}: importing {name!r} raised "
                                f"{_raised(exc)}") from None


def _raised(exc: BaseException) -> str:
    """What an import raised, in words (a SystemExit is the module calling sys.exit)."""
    if isinstance(exc, SystemExit):
        return (f"SystemExit({exc.code!r}): the module calls sys.exit() when imported; a "
                "module of functions to check must not")
    return f"{type(exc).__name__}: {exc}"


def _as_function(value, label: str, spec_text: str):
    try:
        return any_function(value)
    except CheckInputError as exc:
        raise UserFunctionError(f"{spec_text!r}: {label} ({type(value).__name__}) is not a "
                                "function (a theory.Subquadratic, Landscape, Separable, Valley, "
                                "TwoValley or an expression string)") from exc
    except Exception as exc:  # a string that does not parse, an invalid function, ...
        raise UserFunctionError(f"{spec_text!r}: {label}: {exc}") from exc


def _label(obj, fallback: str) -> str:
    name = getattr(obj, "name", None)
    return name if isinstance(name, str) and name else fallback


def _expand(value, attribute: str, spec_text: str, depth: int = 0) -> list[tuple[str, object]]:
    if isinstance(value, Mapping):
        items = list(value.items())
        if not items:
            raise UserFunctionError(f"{spec_text!r}: {attribute} is an empty dict")
        return [(str(k), _as_function(v, f"{attribute}[{k!r}]", spec_text)) for k, v in items]
    if isinstance(value, Sequence) and not isinstance(value, str):
        if not value:
            raise UserFunctionError(f"{spec_text!r}: {attribute} is empty")
        out = []
        for i, v in enumerate(value):
            obj = _as_function(v, f"{attribute}[{i}]", spec_text)
            out.append((_label(obj, f"{attribute}[{i}]"), obj))
        return out
    if callable(value) and not isinstance(value, type) and depth == 0 and \
            not hasattr(value, "expr"):
        try:
            produced = value()
        except Exception as exc:
            raise UserFunctionError(f"{spec_text!r}: calling {attribute}() raised "
                                    f"{type(exc).__name__}: {exc}") from exc
        return _expand(produced, f"{attribute}()", spec_text, depth + 1)
    obj = _as_function(value, attribute, spec_text)
    return [(_label(obj, attribute), obj)]


def load_functions(spec_text: str) -> list[tuple[str, object]]:
    """(label, function) pairs of a MODULE:ATTRIBUTE specification (see the module's
    docstring; importing the module runs its code).  Raises :class:`UserFunctionError`."""
    match = _SPEC.match(spec_text.strip()) if isinstance(spec_text, str) else None
    if match is None:
        raise UserFunctionError(f"{spec_text!r} is not MODULE:ATTRIBUTE (e.g. "
                                "my_functions.py:FAMILY or mypackage.landscapes:f)")
    module_text, attribute = match.group("module"), match.group("attribute")
    looks_like_path = module_text.endswith(".py") or "/" in module_text or "\\" in module_text
    if looks_like_path:
        module = _import_file(Path(module_text).expanduser(), spec_text)
    else:
        module = _import_module(module_text, spec_text)
    value = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise UserFunctionError(f"{spec_text!r}: {module_text!r} has no attribute "
                                    f"{attribute!r}")
        value = getattr(value, part)
    return _expand(value, attribute, spec_text)


def resolve_targets(names: Sequence[str]) -> list[tuple[str, object]]:
    """(label, function) for each ``msl check`` argument: MODULE:ATTRIBUTE specifications
    expand to their functions; catalog names and expressions resolve to one function."""
    out: list[tuple[str, object]] = []
    for name in names:
        if is_user_spec(name):
            out += load_functions(name)
        else:
            out.append((name, any_function(name)))
    return out

