"""Matrix-free spectral estimates of a symmetric operator ``H`` from products ``H v``.

* :func:`hutchinson_trace` -- ``tr H`` by Hutchinson's estimator (Rademacher probes) or
  Hutch++ (Meyer, Musco, Musco & Woodruff 2021: the trace of a sketched top subspace
  exactly plus Hutchinson on the deflated rest), each with a standard error;
* :func:`slq_density` -- the eigenvalue density by stochastic Lanczos quadrature (Ubaru,
  Chen & Saad 2017; PyHessian's ``density``): for each random unit probe ``v``, the
  ``m``-point Gauss quadrature of the spectral measure ``sum_i (v . u_i)^2 delta_{lambda_i}``
  from ``m`` Lanczos steps; it integrates polynomials of degree ``< 2m`` exactly;
* :func:`top_eigenpairs` -- one :func:`~empirical._eigen.lanczos` run for the ``k``
  largest, smallest or largest-magnitude eigenpairs; on request, deflated passes that find
  the further copies of a repeated eigenvalue, which a single Krylov space cannot contain
  (it holds one vector of each eigenspace).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import torch

from empirical._device import generator
from empirical._eigen import DEFAULT_TOL, EigenEstimate, lanczos, ritz_order
from empirical.errors import CurvatureError
from theory import validation as val

Matvec = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class TraceEstimate:
    """``tr H`` estimated from ``n_hvp`` products, with the standard error of the mean."""

    value: float
    stderr: float
    n_hvp: int
    method: str

    def interval(self, z: float = 1.96) -> tuple[float, float]:
        """``value -+ z * stderr`` (95% for the default ``z``)."""
        return self.value - z * self.stderr, self.value + z * self.stderr


def _rademacher(n: int, dim: int, dtype, device, seed: int) -> torch.Tensor:
    gen = generator(seed, device)
    signs = torch.randint(0, 2, (n, dim), generator=gen, device=device)
    return (2 * signs - 1).to(dtype)


def hutchinson_trace(matvec: Matvec, dim: int, *, n_samples: int = 60, method: str = "hutch++",
                     dtype=torch.float64, device="cpu", seed: int = 0) -> TraceEstimate:
    """``tr H`` from ``n_samples`` products (see the module docstring).

    ``method="hutchinson"``: the mean of ``z^T H z`` over Rademacher ``z``, stderr = their
    standard deviation / sqrt(n).  ``method="hutch++"``: a third of the products sketch
    ``Q = orth(H S)``, a third give ``tr(Q^T H Q)`` exactly, the last third run Hutchinson on
    ``(I - QQ^T) H (I - QQ^T)`` (whose stderr is reported); exact when ``rank H <= n/3``.
    """
    val.choice("method", method, ("hutchinson", "hutch++"), error=CurvatureError)
    n_samples = val.whole_number("n_samples", n_samples, error=CurvatureError,
                                 minimum=2 if method == "hutchinson" else 3)
    device = torch.device(device)
    if method == "hutchinson":
        probes = _rademacher(n_samples, dim, dtype, device, seed)
        samples = np.array([float(z @ matvec(z)) for z in probes])
        return TraceEstimate(float(samples.mean()), float(samples.std(ddof=1) / math.sqrt(
            n_samples)), n_samples, method)
    third = n_samples // 3
    sketch = min(third, dim)
    probes = _rademacher(sketch + (n_samples - 2 * third), dim, dtype, device, seed)
    hs = torch.stack([matvec(s) for s in probes[:sketch]])
    q = torch.linalg.qr(hs.T).Q  # (dim, sketch)
    exact = float(sum(float(q[:, j] @ matvec(q[:, j])) for j in range(q.shape[1])))
    rest = probes[sketch:]
    quad: list[float] = []
    for z in rest:
        z = z - q @ (q.T @ z)
        hz = matvec(z)
        quad.append(float(z @ (hz - q @ (q.T @ hz))))
    samples = np.array(quad)
    stderr = float(samples.std(ddof=1) / math.sqrt(len(samples))) if len(samples) > 1 else 0.0
    n_hvp = sketch + q.shape[1] + len(samples)
    return TraceEstimate(exact + float(samples.mean()) if len(samples) else exact, stderr,
                         n_hvp, method)


@dataclass(frozen=True)
class SpectralDensity:
    """Stochastic Lanczos quadrature: ``nodes[j]`` and ``weights[j]`` (summing to 1) of the
    Gauss quadrature of probe ``j``; the density estimate is their average."""

    nodes: np.ndarray
    weights: np.ndarray
    n_hvp: int

    def moment(self, p: int) -> float:
        """``(1/dim) tr H^p`` estimated (exact per probe in expectation for p < 2m)."""
        return float(np.mean(np.sum(self.weights * self.nodes**p, axis=1)))

    def smoothed(self, grid, sigma: float) -> np.ndarray:
        """The density on ``grid`` with each node a Gaussian of width ``sigma``."""
        grid = np.asarray(grid, dtype=np.float64)
        sigma = val.positive_real("sigma", sigma, error=CurvatureError)
        kern = np.exp(-0.5 * ((grid[None, None, :] - self.nodes[..., None]) / sigma) ** 2)
        kern /= sigma * math.sqrt(2 * math.pi)
        return np.mean(np.sum(self.weights[..., None] * kern, axis=1), axis=0)

    def cdf(self, x) -> np.ndarray:
        """Fraction of the spectrum at or below each ``x`` (the averaged step function)."""
        x = np.asarray(x, dtype=np.float64)
        below = self.nodes[..., None] <= x[None, None, ...]
        return np.mean(np.sum(self.weights[..., None] * below, axis=1), axis=0)


def lanczos_tridiagonal(matvec: Matvec, v: torch.Tensor, steps: int):
    """``(alphas, betas)`` of ``steps`` Lanczos steps from ``v`` (full reorthogonalisation;
    stops early at an invariant subspace)."""
    q = v / v.norm()
    basis = [q]
    alphas, betas = [], []
    for j in range(steps):
        w = matvec(q)
        alphas.append(float(q @ w))
        stack = torch.stack(basis)
        for _ in range(2):
            w = w - stack.T @ (stack @ w)
        beta = float(w.norm())
        if j + 1 == steps or beta <= 1e-12 * max(abs(alphas[0]), 1e-300):
            break
        betas.append(beta)
        q = w / beta
        basis.append(q)
    return np.array(alphas), np.array(betas)


def slq_density(matvec: Matvec, dim: int, *, n_probes: int = 4, steps: int = 40,
                dtype=torch.float64, device="cpu", seed: int = 0) -> SpectralDensity:
    """The spectral density by stochastic Lanczos quadrature (module docstring)."""
    n_probes = val.whole_number("n_probes", n_probes, minimum=1, error=CurvatureError)
    steps = min(val.whole_number("steps", steps, minimum=1, error=CurvatureError), dim)
    gen = generator(seed, device)
    nodes = np.zeros((n_probes, steps))
    weights = np.zeros((n_probes, steps))
    n_hvp = 0
    for j in range(n_probes):
        v = torch.randn(dim, generator=gen, dtype=dtype, device=device)
        alphas, betas = lanczos_tridiagonal(matvec, v, steps)
        n_hvp += len(alphas)
        theta, s = scipy.linalg.eigh_tridiagonal(alphas, betas)
        m = len(theta)
        nodes[j, :m] = theta
        weights[j, :m] = s[0] ** 2
        nodes[j, m:] = theta[-1]  # padding with zero weight
    return SpectralDensity(nodes, weights, n_hvp)


def top_eigenpairs(matvec: Matvec, dim: int, *, k: int = 1, dtype=torch.float64,
                   device="cpu", tol: float | None = None, max_iter: int | None = None,
                   seed: int = 0, v0: torch.Tensor | None = None, which: str = "LA",
                   repeated: bool = False) -> EigenEstimate:
    """The ``k`` wanted eigenpairs (``which``: ``"LA"`` largest, ``"SA"`` smallest,
    ``"LM"`` largest magnitude) from ONE Lanczos run; residuals are the Lanczos estimates
    (the true ones up to rounding: full reorthogonalisation), so no product is spent
    beyond the run itself.

    One Krylov space holds a single vector of each eigenspace, so an exactly repeated
    eigenvalue shows up once.  ``repeated=True`` looks for the further copies: Lanczos
    again on ``P H P + c (I - P)`` with ``P`` the projector off the pairs found (``c``
    pushes those to the unwanted end); any eigenvalue it finds beyond the current
    ``k``-th is a missed copy; the lists are merged until a deflated pass finds nothing,
    then a Rayleigh-Ritz step on the span gives the pairs and true residuals (a second
    run's products and ``k`` more)."""
    est = lanczos(matvec, dim, k=k, dtype=dtype, device=device, tol=tol, max_iter=max_iter,
                  seed=seed, v0=v0, which=which, check_residual=False)
    if not repeated or k == 1 or est.eigenvalues.shape[0] < k:
        return est
    tol = DEFAULT_TOL[dtype] if tol is None else float(tol)
    values, vectors, n_hvp = list(est.eigenvalues), est.eigenvectors, est.n_hvp
    scale = max(float(np.max(np.abs(values))), np.finfo(np.float64).tiny)
    push = {"LA": -(2 * scale + 1.0), "SA": 2 * scale + 1.0, "LM": 0.0}[which]

    def better(lam: float, than: float) -> bool:
        margin = 10 * tol * scale
        if which == "LA":
            return lam > than + margin
        if which == "SA":
            return lam < than - margin
        return abs(lam) > abs(than) + margin

    for attempt in range(k):
        basis = vectors
        if dim - basis.shape[0] < 1:
            break

        def deflated(v, basis=basis):
            p = v - basis.T @ (basis @ v)
            hp = matvec(p)
            return hp - basis.T @ (basis @ hp) + push * (basis.T @ (basis @ v))

        extra = lanczos(deflated, dim, k=min(k, dim - basis.shape[0]), dtype=dtype,
                        device=device, tol=tol, max_iter=max_iter, seed=seed + 101 + attempt,
                        which=which, check_residual=False)
        n_hvp += extra.n_hvp
        new = [(float(lam), vec) for lam, vec in zip(extra.eigenvalues, extra.eigenvectors,
                                                      strict=True) if better(lam, values[-1])]
        if not new:
            break
        order = ritz_order(np.array([*values, *(p[0] for p in new)]), which)[:k]
        pool = [*zip(values, vectors, strict=True), *new]
        pairs = [pool[i] for i in order]
        values = [p[0] for p in pairs]
        vectors = torch.linalg.qr(torch.stack([p[1] for p in pairs]).T).Q.T.contiguous()
    # Rayleigh-Ritz on the final span (vectors orthonormalised above), true residuals
    hv = torch.stack([matvec(v) for v in vectors])
    small = (vectors @ hv.T).double().cpu().numpy()
    ritz, rot = np.linalg.eigh(0.5 * (small + small.T))
    order = ritz_order(ritz, which)
    ritz = ritz[order]
    rotation = torch.as_tensor(rot[:, order].T.copy(), dtype=dtype, device=device)
    vectors = rotation @ vectors
    hv = rotation @ hv
    residuals = (hv - torch.as_tensor(ritz, dtype=dtype, device=device)[:, None] * vectors)
    residuals = residuals.norm(dim=1).double().cpu().numpy()
    converged = est.converged and bool(np.all(residuals <= 10 * tol * scale))
    return EigenEstimate(ritz, vectors, residuals, n_hvp + k, converged, "lanczos", tol,
                         est.history)
