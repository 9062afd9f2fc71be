"""Top Hessian eigenpairs from Hessian-vector products: Lanczos and power iteration.

:func:`lanczos` is the Lanczos process with full reorthogonalisation (classical
Gram-Schmidt applied twice, "twice is enough"), stopped when the Ritz residual estimates
``|beta_j s_{j,i}|`` of the ``k`` wanted Ritz pairs (``which``: largest, smallest or
largest-magnitude) fall below ``tol`` times the largest Ritz magnitude; the true residuals
``||H v - lambda v||`` are then computed with ``k`` more HVPs (``check_residual``).
:func:`power_iteration` is PyHessian's method (Yao et al. 2020): repeated products,
deflation against the eigenvectors already found, stopped when the Rayleigh quotient's
relative change is below ``tol``.  Both return an :class:`EigenEstimate`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import torch

from empirical._device import generator
from empirical.errors import CurvatureError

Matvec = Callable[[torch.Tensor], torch.Tensor]

#: default relative tolerance of :func:`lanczos` per float type
DEFAULT_TOL = {torch.float32: 1e-4, torch.float64: 1e-8}
#: which end of the spectrum: largest algebraic, smallest algebraic, largest magnitude
WHICH = ("LA", "SA", "LM")


def ritz_order(theta: np.ndarray, which: str) -> np.ndarray:
    """Indices of the Ritz values ``theta``, the wanted ones first (``which`` in WHICH)."""
    if which == "LA":
        return np.argsort(theta, kind="stable")[::-1]
    if which == "SA":
        return np.argsort(theta, kind="stable")
    return np.argsort(np.abs(theta), kind="stable")[::-1]


def _frozen(a) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class EigenEstimate:
    """Estimated eigenpairs of a symmetric operator (a Hessian, a GGN, a Fisher matrix).

    Attributes:
        eigenvalues: ``(k,)`` estimates, the wanted first (largest for ``which="LA"``,
            smallest for ``"SA"``, largest magnitude for ``"LM"``).
        eigenvectors: ``(k, dim)`` unit vectors (rows), same order.
        residuals: ``(k,)`` true residual norms ``||H v_i - lambda_i v_i||``.
        n_hvp: Hessian-vector products used, residual checks included.
        converged: the stopping rule was met before ``max_iter`` (and, for Lanczos, the
            true relative residuals are below ``10 * tol``).
        method: ``"lanczos"`` or ``"power"``.
        tol: the tolerance that was asked for.
        history: the top estimate after each iteration (one HVP each), for benchmarks.
    """

    eigenvalues: np.ndarray
    eigenvectors: torch.Tensor
    residuals: np.ndarray
    n_hvp: int
    converged: bool
    method: str
    tol: float
    history: np.ndarray = field(default_factory=lambda: _frozen([]))

    def __post_init__(self) -> None:
        for name in ("eigenvalues", "residuals", "history"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        k = self.eigenvalues.shape[0]
        if self.eigenvectors.ndim != 2 or self.eigenvectors.shape[0] != k:
            raise CurvatureError(
                f"eigenvectors: expected {k} rows, got {tuple(self.eigenvectors.shape)}"
            )
        if self.residuals.shape != (k,):
            raise CurvatureError(f"residuals: expected shape ({k},), got {self.residuals.shape}")
        if not np.all(np.isfinite(self.eigenvalues)):
            raise CurvatureError("eigenvalues: not finite (the loss or its Hessian overflowed)")

    @property
    def sharpness(self) -> float:
        """The first eigenvalue estimate (the largest, for the default ``which="LA"``)."""
        return float(self.eigenvalues[0])

    @property
    def relative_residuals(self) -> np.ndarray:
        """Residuals divided by ``|lambda_1|``."""
        return self.residuals / max(abs(self.sharpness), np.finfo(float).tiny)

    def summary(self) -> dict:
        return {
            "method": self.method,
            "eigenvalues": self.eigenvalues.tolist(),
            "residuals": self.residuals.tolist(),
            "n_hvp": self.n_hvp,
            "converged": self.converged,
        }


def _check_common(dim: int, k: int, tol: float | None, dtype: torch.dtype, max_iter,
                  which: str = "LA"):
    if which not in WHICH:
        raise CurvatureError(f"which={which!r}: must be one of {', '.join(map(repr, WHICH))}")
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
        raise CurvatureError(f"dim={dim!r}: must be a positive integer")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= dim:
        raise CurvatureError(f"k={k!r}: must be an integer in [1, dim={dim}]")
    if dtype not in DEFAULT_TOL:
        raise CurvatureError(f"dtype={dtype}: must be torch.float32 or torch.float64")
    if tol is not None and not (np.isfinite(tol) and 0 < tol < 1):
        raise CurvatureError(f"tol={tol!r}: must be a number in (0, 1)")
    if max_iter is not None and (isinstance(max_iter, bool) or not isinstance(max_iter, int)
                                 or max_iter < 1):
        raise CurvatureError(f"max_iter={max_iter!r}: must be a positive integer")


def _start_vector(v0, dim, dtype, device, seed, warm_noise) -> torch.Tensor:
    gen = generator(seed, device)
    noise = torch.randn(dim, generator=gen, dtype=dtype, device=device)
    noise /= noise.norm()
    if v0 is None:
        return noise
    v0 = torch.as_tensor(v0, dtype=dtype, device=device)
    if v0.ndim == 2:  # several previous eigenvectors: use their sum
        v0 = v0.sum(dim=0)
    if v0.shape != (dim,) or not torch.isfinite(v0).all() or float(v0.norm()) == 0.0:
        raise CurvatureError(f"v0: must be a finite non-zero vector of length dim={dim}")
    v = v0 / v0.norm() + warm_noise * noise
    return v / v.norm()


def _orthogonalise(w: torch.Tensor, basis: torch.Tensor) -> torch.Tensor:
    """Remove from ``w`` its components along the rows of ``basis`` (twice)."""
    if basis.shape[0] == 0:
        return w
    for _ in range(2):
        w = w - basis.T @ (basis @ w)
    return w


def lanczos(
    matvec: Matvec,
    dim: int,
    *,
    k: int = 1,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
    v0: torch.Tensor | None = None,
    tol: float | None = None,
    max_iter: int | None = None,
    min_iter: int | None = None,
    seed: int = 0,
    warm_noise: float = 0.05,
    check_residual: bool = True,
    callback: Callable[[int, float], bool] | None = None,
    which: str = "LA",
    error_bound: Callable[[np.ndarray, np.ndarray, int], np.ndarray] | None = None,
) -> EigenEstimate:
    """The ``k`` largest (algebraic) eigenpairs of the symmetric operator ``matvec``, or
    with ``which="SA"`` the smallest, ``which="LM"`` those of largest magnitude.

    Args:
        matvec: ``v -> H v`` on vectors of length ``dim``.
        k: number of eigenpairs.
        v0: start vector (e.g. the previous top eigenvector(s) during training: a warm
            start); ``warm_noise`` times a random unit vector is added so that the Krylov
            space is never trapped in an invariant subspace.
        tol: stop when every wanted Ritz residual estimate is at most
            ``tol * max|theta|`` (default 1e-4 in float32, 1e-8 in float64; ``max|theta|``
            estimates ``||H||``).  Since ``|lambda - theta| <= ||r||``, the eigenvalue error
            relative to ``||H||`` is then <= ``tol``.
        max_iter: at most this many iterations (default ``min(dim, 300)``).
        min_iter: at least this many iterations (default ``min(dim, k + 4)``).
        seed: seeds the random start (or the noise added to ``v0``).
        check_residual: compute the true residuals with ``k`` extra HVPs (else the
            Lanczos estimates ``|beta_m s_{m,i}|`` are reported, which equal the true
            residuals up to rounding thanks to the full reorthogonalisation).
        callback: called as ``callback(n_hvp, top_ritz_value)`` after each iteration;
            returning True stops the process (used by the benchmark).
        error_bound: ``(ritz_values, residual_estimates, k) -> bounds`` (Ritz values in
            the wanted order): the stopping rule compares these bounds, instead of the
            residual estimates, with ``tol`` (e.g. the gap-aware eigenvalue bound of
            :func:`~empirical._tracking.track_top_eigenpairs`).
    """
    _check_common(dim, k, tol, dtype, max_iter, which)
    tol = DEFAULT_TOL[dtype] if tol is None else float(tol)
    max_iter = min(dim, 300) if max_iter is None else min(max_iter, dim)
    min_iter = min(dim, k + 4) if min_iter is None else min(min_iter, max_iter)
    max_iter = max(max_iter, k)
    device = torch.device(device)
    q = _start_vector(v0, dim, dtype, device, seed, warm_noise)

    capacity = min(max_iter, 32)
    basis = torch.empty(capacity, dim, dtype=dtype, device=device)
    alphas: list[float] = []
    betas: list[float] = []
    history: list[float] = []
    n_hvp, done = 0, False
    gen = generator(seed + 1, device)
    theta = s = None
    for j in range(max_iter):
        if j == capacity:
            capacity = min(2 * capacity, max_iter)
            grown = torch.empty(capacity, dim, dtype=dtype, device=device)
            grown[:j] = basis[:j]
            basis = grown
        basis[j] = q
        w = matvec(q)
        n_hvp += 1
        if not isinstance(w, torch.Tensor) or tuple(w.shape) != (dim,):
            raise CurvatureError(
                f"matvec returned {type(w).__name__} of shape {tuple(getattr(w, 'shape', ()))}; "
                f"it must return a tensor of shape ({dim},) like its argument"
            )
        if not torch.isfinite(w).all():
            raise CurvatureError("matvec: the Hessian-vector product is not finite "
                                 "(the loss overflowed at this theta)")
        alpha = float(q @ w)
        w = _orthogonalise(w, basis[: j + 1])
        beta = float(w.norm())
        alphas.append(alpha)
        theta, s = scipy.linalg.eigh_tridiagonal(np.array(alphas), np.array(betas))
        order = ritz_order(theta, which)
        theta, s = theta[order], s[:, order]
        history.append(float(theta[0]))
        scale = max(float(np.max(np.abs(theta))), np.finfo(np.float64).tiny)
        kk = min(k, j + 1)
        estimates = np.abs(beta * s[-1, :kk])
        if error_bound is not None:
            estimates = error_bound(theta, estimates, kk)
        breakdown = beta <= 1e-10 * scale
        if callback is not None and callback(n_hvp, float(theta[0])):
            break
        if (j + 1 >= max(k, min_iter) and np.all(estimates <= tol * scale)
                and not (breakdown and j + 1 < dim)):
            done = True
            break
        if j + 1 == max_iter:
            break
        if breakdown:  # invariant subspace found: continue from a fresh orthogonal vector
            w = _orthogonalise(torch.randn(dim, generator=gen, dtype=dtype, device=device),
                               basis[: j + 1])
            beta_eff = 0.0
            q = w / w.norm()
        else:
            beta_eff = beta
            q = w / beta
        betas.append(beta_eff)

    m = len(alphas)
    kk = min(k, m)
    assert s is not None and theta is not None  # at least one Lanczos step ran
    coeffs = torch.as_tensor(np.ascontiguousarray(s[:, :kk].T), dtype=dtype, device=device)
    vecs = coeffs @ basis[:m]
    vecs = vecs / vecs.norm(dim=1, keepdim=True)
    values = theta[:kk]
    residuals: np.ndarray
    if check_residual:
        norms = []
        for i in range(kk):
            r = matvec(vecs[i]) - float(values[i]) * vecs[i]
            n_hvp += 1
            norms.append(float(r.norm()))
        residuals = np.array(norms)
        done = done and bool(np.all(residuals <= 10 * tol * scale))
    else:
        residuals = np.abs(beta * s[-1, :kk])
    return EigenEstimate(values, vecs, residuals, n_hvp, done, "lanczos", tol, np.array(history))


def power_iteration(
    matvec: Matvec,
    dim: int,
    *,
    k: int = 1,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
    v0: torch.Tensor | None = None,
    tol: float = 1e-3,
    max_iter: int = 100,
    seed: int = 0,
    callback: Callable[[int, float], bool] | None = None,
) -> EigenEstimate:
    """PyHessian's power iteration for the ``k`` eigenpairs of largest magnitude.

    For each pair: ``v <- H v / ||H v||`` with ``v`` kept orthogonal to the pairs already
    found, ``lambda = v^T H v``, stopped when ``|lambda - lambda_prev| / (|lambda_prev| +
    1e-6) < tol`` (PyHessian's defaults: ``tol=1e-3``, ``max_iter=100``).  The residual is
    that of the last ``v`` against its own product, so it costs no extra HVP.
    """
    _check_common(dim, k, tol, dtype, max_iter)
    device = torch.device(device)
    found: list[torch.Tensor] = []
    values, residuals, history = [], [], []
    n_hvp, all_done = 0, True
    for i in range(k):
        v = _start_vector(v0 if i == 0 else None, dim, dtype, device, seed + i, 0.05)
        prev = None
        done, stop = False, False
        for _ in range(max_iter):
            basis = torch.stack(found) if found else torch.empty(0, dim, dtype=dtype, device=device)
            v = _orthogonalise(v, basis)
            v = v / v.norm()
            hv = matvec(v)
            n_hvp += 1
            lam = float(v @ hv)
            res = float((hv - lam * v).norm())
            history.append(lam)
            if callback is not None and callback(n_hvp, lam):
                stop = True
                break
            if prev is not None and abs(lam - prev) / (abs(prev) + 1e-6) < tol:
                done = True
                break
            prev = lam
            v = hv / hv.norm()
        found.append(v)
        values.append(lam)
        residuals.append(res)
        all_done = all_done and done
        if stop:
            break
    order = np.argsort(values)[::-1]
    vecs = torch.stack([found[i] for i in order])
    return EigenEstimate(np.array(values)[order], vecs, np.array(residuals)[order], n_hvp,
                         all_done, "power", float(tol), np.array(history))
