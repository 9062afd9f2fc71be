"""The sympy symbols shared by the theory core."""

from __future__ import annotations

import sympy as sp

#: the variable of every one-dimensional function (real)
X = sp.Symbol("x", real=True)
#: the same variable restricted to the branch x > 0 (used to differentiate |x| cleanly)
X_POS = sp.Symbol("x", positive=True)
#: the learning rate, as it appears in closed forms such as x_eta(eta)
ETA = sp.Symbol("eta", positive=True)
