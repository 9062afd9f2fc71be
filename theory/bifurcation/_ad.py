"""Second-order forward differentiation over python-flint balls (for the 2-state certificates).

A :class:`Jet2` holds a value, its gradient and (optionally) its Hessian with respect to n
seed variables, every entry an ``arb`` ball.  +, -, * follow the product rule, and
:meth:`Jet2.compose` applies a scalar function phi given phi(u), phi'(u), phi''(u) at the
ball u (the chain rule g = phi' grad u, H = phi' H_u + phi'' grad u grad u^T).  Evaluated on
balls, every entry encloses the exact derivative for every point of the input balls; so the
same code gives the Jacobian at a point and its enclosure over a box, which is all a
Krawczyk operator needs.  ``order=1`` drops the Hessian (half the work).
"""

from __future__ import annotations

from collections.abc import Sequence

from flint import arb

__all__ = ["Jet2", "seeds"]


class Jet2:
    __slots__ = ("g", "h", "v")

    def __init__(self, v: arb, g: list[arb], h: list[list[arb]] | None):
        self.v, self.g, self.h = v, g, h

    @staticmethod
    def constant(value, n: int, order: int = 2) -> Jet2:
        zero = arb(0)
        return Jet2(arb(value) if not isinstance(value, arb) else value, [zero] * n,
                    [[zero] * n for _ in range(n)] if order == 2 else None)

    def _lift(self, other) -> Jet2:
        if isinstance(other, Jet2):
            return other
        return Jet2.constant(other, len(self.g), 2 if self.h is not None else 1)

    def __add__(self, other) -> Jet2:
        o = self._lift(other)
        h = None if self.h is None or o.h is None else [
            [a + b for a, b in zip(ra, rb, strict=True)] for ra, rb in zip(self.h, o.h,
                                                                           strict=True)]
        return Jet2(self.v + o.v, [a + b for a, b in zip(self.g, o.g, strict=True)], h)

    __radd__ = __add__

    def __neg__(self) -> Jet2:
        h = None if self.h is None else [[-a for a in row] for row in self.h]
        return Jet2(-self.v, [-a for a in self.g], h)

    def __sub__(self, other) -> Jet2:
        return self + (-self._lift(other))

    def __rsub__(self, other) -> Jet2:
        return (-self) + other

    def __mul__(self, other) -> Jet2:
        if not isinstance(other, Jet2):
            c = other if isinstance(other, arb) else arb(other)
            h = None if self.h is None else [[c * a for a in row] for row in self.h]
            return Jet2(c * self.v, [c * a for a in self.g], h)
        a, b = self, other
        g = [a.v * gb + b.v * ga for ga, gb in zip(a.g, b.g, strict=True)]
        h = None
        if a.h is not None and b.h is not None:
            n = len(g)
            h = [[a.v * b.h[i][j] + b.v * a.h[i][j] + a.g[i] * b.g[j] + a.g[j] * b.g[i]
                  for j in range(n)] for i in range(n)]
        return Jet2(a.v * b.v, g, h)

    __rmul__ = __mul__

    def compose(self, phi0: arb, phi1: arb, phi2: arb | None) -> Jet2:
        """phi(self) from phi, phi', phi'' evaluated at (over) the ball ``self.v``."""
        g = [phi1 * a for a in self.g]
        h = None
        if self.h is not None:
            n = len(g)
            assert phi2 is not None
            h = [[phi1 * self.h[i][j] + phi2 * self.g[i] * self.g[j] for j in range(n)]
                 for i in range(n)]
        return Jet2(phi0, g, h)


def seeds(values: Sequence[arb], order: int = 2) -> list[Jet2]:
    """The independent variables: values[k] with gradient e_k and zero Hessian."""
    n, zero = len(values), arb(0)
    out = []
    for k, v in enumerate(values):
        g = [arb(1) if i == k else zero for i in range(n)]
        h = [[zero] * n for _ in range(n)] if order == 2 else None
        out.append(Jet2(v, g, h))
    return out
