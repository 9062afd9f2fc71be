"""Reference implementations for the simulator benchmark: C (gcc + OpenMP) and NumPy.

Workload (Section 4, Fig. 4.1): gradient descent ``x <- x - eta f'(x)`` for many initial points
at once, optionally with the finite-time Lyapunov sum ``sum_t log|1 - eta f''(x_t)|`` (the
derivative of the 1-D map is ``1 - eta f''``), for

* ``f1(x) = (1+|x|) ln(1+|x|) - |x|``  (Fig. 4.1 left; ``f1' = sign(x) ln(1+|x|)``),
* ``f2`` of eq. (6.2) with ``C``: ``C^2 x^2/3`` for ``|x| <= 1/C``, else ``1 - 2/(3C|x|)``
  (Fig. 4.1 middle, chaotic for ``C = 3, eta = 2``).

Both references update ``x`` (and ``lyap``) in place and return nothing.  The C source is
``benchmarks/c_reference.c``; :func:`build_c_reference` compiles it with
``gcc -O3 -march=native -ffast-math -fopenmp`` into ``benchmarks/_build`` (gitignored).
"""

from __future__ import annotations

import ctypes
import hashlib
import shutil
import subprocess
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
BUILD_DIR = HERE / "_build"
C_SOURCE = HERE / "c_reference.c"
C_FLAGS = ("-O3", "-march=native", "-ffast-math", "-fopenmp", "-fPIC")
LINK_FLAGS = ("-shared", "-fopenmp")

__all__ = [
    "C_FLAGS",
    "CReference",
    "build_c_reference",
    "numpy_gd_f1",
    "numpy_gd_f2",
]


# ------------------------------------------------------------------------------------------
# C


def build_c_reference(build_dir: Path = BUILD_DIR) -> Path:
    """Compile ``c_reference.c`` (once per source/flags content) and return the .so path."""
    gcc = shutil.which("gcc")
    if gcc is None:
        raise RuntimeError("gcc not found on PATH: the C reference cannot be built")
    source = C_SOURCE.read_bytes()
    tag = hashlib.sha256(source + " ".join(C_FLAGS + LINK_FLAGS).encode()).hexdigest()[:12]
    build_dir.mkdir(parents=True, exist_ok=True)
    lib = build_dir / f"c_reference_{tag}.so"
    if not lib.exists():
        # compile with the flags above, but link without -ffast-math: gcc 12 links
        # crtfastmath.o into a -ffast-math shared library, whose constructor sets FTZ/DAZ in
        # the loading process (subnormals flushed to zero for everything else that runs in it,
        # the simulator and the tests included).  The generated code is the same.
        obj = build_dir / f"c_reference_{tag}.o"
        tmp = lib.with_suffix(".so.tmp")
        subprocess.run([gcc, *C_FLAGS, "-c", str(C_SOURCE), "-o", str(obj)], check=True)
        subprocess.run([gcc, *LINK_FLAGS, str(obj), "-o", str(tmp), "-lm"], check=True)
        tmp.replace(lib)
    return lib


class CReference:
    """ctypes front end of the compiled C reference (see ``c_reference.c``)."""

    def __init__(self, lib_path: Path | None = None):
        self.path = Path(lib_path) if lib_path is not None else build_c_reference()
        self._lib = ctypes.CDLL(str(self.path))
        dp = ctypes.POINTER(ctypes.c_double)
        self._lib.gd_f1.argtypes = [dp, dp, ctypes.c_long, ctypes.c_double, ctypes.c_long]
        self._lib.gd_f1.restype = None
        self._lib.gd_f2.argtypes = [
            dp, dp, ctypes.c_long, ctypes.c_double, ctypes.c_long, ctypes.c_double
        ]
        self._lib.gd_f2.restype = None
        self._lib.omp_threads.restype = ctypes.c_int

    @property
    def threads(self) -> int:
        """Number of OpenMP threads a parallel region gets."""
        return int(self._lib.omp_threads())

    @staticmethod
    def _ptrs(x: np.ndarray, lyap: np.ndarray | None):
        for a in (x, lyap):
            if a is not None and (a.dtype != np.float64 or not a.flags.c_contiguous):
                raise ValueError("arrays must be C-contiguous float64")
        if lyap is not None and lyap.shape != x.shape:
            raise ValueError("lyap must have the shape of x")
        dp = ctypes.POINTER(ctypes.c_double)
        return x.ctypes.data_as(dp), (None if lyap is None else lyap.ctypes.data_as(dp))

    def gd_f1(self, x: np.ndarray, eta: float, steps: int, lyap: np.ndarray | None = None):
        px, pl = self._ptrs(x, lyap)
        self._lib.gd_f1(px, pl, x.size, float(eta), int(steps))

    def gd_f2(
        self, x: np.ndarray, eta: float, steps: int, C: float, lyap: np.ndarray | None = None
    ):
        px, pl = self._ptrs(x, lyap)
        self._lib.gd_f2(px, pl, x.size, float(eta), int(steps), float(C))


# ------------------------------------------------------------------------------------------
# NumPy: whole-array in-place ufunc calls, no temporaries allocated inside the step loop


def numpy_gd_f1(x: np.ndarray, eta: float, steps: int, lyap: np.ndarray | None = None):
    """GD on f1 for all points at once, in place (NumPy ufuncs with ``out=``)."""
    a = np.empty_like(x)
    g = np.empty_like(x)
    for _ in range(steps):
        np.abs(x, out=a)
        if lyap is not None:
            # log|1 - eta/(1+|x|)|
            np.add(a, 1.0, out=g)
            np.divide(eta, g, out=g)
            np.subtract(1.0, g, out=g)
            np.abs(g, out=g)
            np.log(g, out=g)
            lyap += g
        np.log1p(a, out=g)
        np.copysign(g, x, out=g)
        g *= eta
        x -= g


def numpy_gd_f2(
    x: np.ndarray, eta: float, steps: int, C: float, lyap: np.ndarray | None = None
):
    """GD on f2 (eq. 6.2) for all points at once, in place; the branch is a masked select."""
    inner_g = 2.0 * C * C / 3.0
    outer_g = 2.0 / (3.0 * C)
    outer_h = -4.0 / (3.0 * C)
    edge = 1.0 / C
    a = np.empty_like(x)
    g = np.empty_like(x)
    h = np.empty_like(x)
    inner = np.empty(x.shape, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(steps):
            np.abs(x, out=a)
            np.less_equal(a, edge, out=inner)
            np.multiply(a, a, out=g)  # x^2
            if lyap is not None:
                np.multiply(g, a, out=h)  # |x|^3
                np.divide(outer_h, h, out=h)
                np.copyto(h, inner_g, where=inner)  # the select of the branch
                np.multiply(h, eta, out=h)
                np.subtract(1.0, h, out=h)
                np.abs(h, out=h)
                np.log(h, out=h)
                lyap += h
            np.divide(outer_g, g, out=g)
            np.copysign(g, x, out=g)
            np.multiply(x, inner_g, out=g, where=inner)
            g *= eta
            x -= g
