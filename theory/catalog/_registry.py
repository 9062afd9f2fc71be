"""Look up catalog entries by name, as the CLI does (``msl periodic-point f1 --eta 3``)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

from theory.catalog import _paper, _two_layer, _valleys
from theory.errors import ParameterError

#: name -> (factory, one-line description)
_ENTRIES: dict[str, tuple[Callable, str]] = {
    "f1": (_paper.f1, "(1+|x|) ln(1+|x|) - |x|, Fig. 4.1 left"),
    "f2": (_paper.f2, "population loss (6.2), uniform data on [0, C], C = 3; Fig. 4.1 middle"),
    "f3": (_paper.f3, "f2(x1) + f2(x1+x2) + 0.5 f1(|x|), Fig. 4.1 right (2-D)"),
    "log_cosh": (_paper.log_cosh, "log(cosh(x))"),
    "pseudo_huber": (_paper.pseudo_huber, "sqrt(1+x^2) - 1"),
    "fig4.2": (_valleys.fig_4_2, "valley f1(x2/(1+0.01 x1)), Fig. 4.2 (Section 4.4)"),
    "fig5.1": (_valleys.fig_5_1, "two valleys at two scales (5.1), Fig. 5.1"),
    "two_layer_3pt": (
        lambda data=(1, 10, 100): _two_layer.empirical_loss(data, name="two_layer_3pt"),
        "Section 6 network, empirical loss of 3 inputs 1, 10, 100 (Fig. 6.1 left, blue)",
    ),
    "two_layer_2d": (
        lambda C=3, k=10: _two_layer.two_layer_two_valley(_paper.f2(C), k),
        "Section 6 two-output network, l(w1) + l(10 w2), l = (6.2) (Fig. 6.1 right)",
    ),
}

_CALL = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(?:\((.*)\))?\s*$")


def names() -> tuple[str, ...]:
    """The catalog's names."""
    return tuple(_ENTRIES)


def describe() -> dict[str, str]:
    """name -> one-line description."""
    return {name: text for name, (_, text) in _ENTRIES.items()}


def _parameters(text: str, name: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            raise ParameterError(f"{name}({text}): parameters are written key=value, e.g. C=5")
        if key.strip() in out:
            raise ParameterError(f"{name}({text}): the parameter {key.strip()} is given twice")
        try:
            out[key.strip()] = float(value) if "." in value or "e" in value else int(value)
        except ValueError:
            raise ParameterError(
                f"{name}({text}): {key.strip()}={value!r} is not a number"
            ) from None
    return out


def closest_names(text: str, n: int = 3) -> list[str]:
    """The catalog names closest to ``text`` (for "did you mean" messages)."""
    head = _CALL.match(text) if isinstance(text, str) else None
    word = head.group(1) if head else str(text)
    close = difflib.get_close_matches(word, list(_ENTRIES), n=n, cutoff=0.5)
    return close or list(_ENTRIES)[:n]


def is_catalog_name(text: str) -> bool:
    if not isinstance(text, str):
        return False
    match = _CALL.match(text)
    return match is not None and match.group(1) in _ENTRIES


def get(text: str):
    """The catalog entry ``name`` or ``name(key=value, ...)``, e.g. ``"f2(C=5)"``."""
    if not isinstance(text, str):
        raise ParameterError(
            f"function={text!r} must be a catalog name (a string such as 'f1'), got "
            f"{type(text).__name__}"
        )
    match = _CALL.match(text)
    if not match or match.group(1) not in _ENTRIES:
        raise ParameterError(
            f"function={text[:60]!r} is not in the catalog (closest: "
            f"{', '.join(closest_names(text))}; all: {', '.join(_ENTRIES)})"
        )
    factory, _ = _ENTRIES[match.group(1)]
    params = _parameters(match.group(2) or "", match.group(1))
    try:
        return factory(**params)
    except TypeError as exc:
        raise ParameterError(f"function={text!r}: {exc}") from None
