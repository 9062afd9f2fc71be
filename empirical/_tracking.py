"""Warm-started tracking of the top eigenpairs along a training run (central-flow style).

Between two measurements a few optimizer steps apart, the top eigenvector moves little:
:func:`track_top_eigenpairs` starts Lanczos from the previous eigenvector(s) without the
random perturbation a cold start needs (an exact eigenvector is handled by the breakdown
restart of :func:`~empirical._eigen.lanczos`), needs no minimum number of iterations and
spends no product on residual checks (the Lanczos relation gives them, exactly up to
rounding under full reorthogonalisation).  It stops on the error of the eigenvalues, not
of the eigenvectors: with residual ``r`` and the distance ``delta`` from the Ritz value
to the rest of the Ritz spectrum, ``|lambda - theta| <= r^2 / gap`` (Kato-Temple, with
``gap`` the true distance to the rest of the spectrum); ``delta`` can overestimate
``gap`` while the Krylov space is small, so the rule asks ``min(r, 2 r^2 / delta) <=
tol * max|theta|`` after at least ``k + 2`` products.  The first call (no ``previous``) is
a cold start with the same rule.

    >>> est = None                                                      # doctest: +SKIP
    >>> for step in range(steps):                                        # doctest: +SKIP
    ...     train_step()
    ...     if step % 10 == 0:
    ...         est = track_top_eigenpairs(H.hvp, H.dim, est, dtype=H.dtype)
    ...         sharpness.append(est.sharpness)

``SharpnessMonitor`` measures with :func:`track_top_eigenpair`, the same rule for ``k=1`` in a
leaner loop, on the products of :func:`parameter_value_and_operator`
(``benchmarks/bench_monitor.py``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from empirical._eigen import DEFAULT_TOL, EigenEstimate, lanczos
from empirical.errors import CurvatureError

Matvec = Callable[[torch.Tensor], torch.Tensor]


def value_and_operator(objective, theta: torch.Tensor) -> tuple[float, Matvec]:
    """``(L(theta), v -> H(theta) v)`` from ONE pass per batch: the loss and its gradient
    graph (plain autograd, ``create_graph``) are built together and every product is a
    backward pass through that graph.  The products are those of
    ``objective.operator`` (bitwise equal on the digits MLP) at about 3/4 of the cost of
    ``objective.value`` + ``objective.operator`` + products (``torch.func`` wrapping
    avoided).  When the objective would not keep every batch's graph (memory), it falls
    back to those two."""
    theta = objective.check_vector("theta", theta).detach()
    if not objective.retain_graphs():
        return objective.value(theta), objective.operator(theta)
    leaf = theta.clone().requires_grad_(True)
    parts, total = [], 0.0
    with torch.enable_grad():
        for weight, fn in objective._pieces():
            loss = fn(leaf)
            (grad,) = torch.autograd.grad(loss, leaf, create_graph=True)
            parts.append((weight, grad))
            total += weight * float(loss.detach())

    def matvec(v: torch.Tensor) -> torch.Tensor:
        v = objective.check_vector("v", v).detach()
        out = torch.zeros_like(theta)
        for weight, grad in parts:
            if grad.requires_grad:
                out.add_(torch.autograd.grad(grad, leaf, v, retain_graph=True)[0],
                         alpha=weight)
        return out

    return total, matvec


def parameter_value_and_operator(objective) -> tuple[float, Matvec]:
    """``(L(theta), v -> H(theta) v)`` at the model's current parameters, like
    :func:`value_and_operator` (same loss and products, bitwise on the digits MLP) but
    with one leaf per parameter instead of one flat leaf split into views: the
    gradient graph then holds no split/cat of ``theta``, which makes the graph about 25%
    and each product about 15% cheaper (``benchmarks/bench_monitor.py``, section "HVP
    variants").  ``SharpnessMonitor`` uses it; the fallback when the graphs are not
    retained is :func:`value_and_operator`'s."""
    theta = objective.theta0
    if not objective.retain_graphs():
        return objective.value(theta), objective.operator(theta)
    names = objective.layout.names
    leaves = [view.detach().clone().requires_grad_(True)
              for view in objective.layout.unflatten(theta).values()]
    sizes = [leaf.numel() for leaf in leaves]
    tensors = {**objective.constants, **dict(zip(names, leaves, strict=True))}
    parts, total = [], 0.0
    with torch.enable_grad():
        for (x, y), weight in zip(objective.batches, objective.weights, strict=True):
            if weight == 0.0:
                continue  # every target ignored (as in objective._pieces)
            loss = objective.criterion(objective.outputs_of(tensors, x), y)
            grads = torch.autograd.grad(loss, leaves, create_graph=True, allow_unused=True)
            live = [i for i, g in enumerate(grads) if g is not None and g.requires_grad]
            parts.append((weight, live, [grads[i] for i in live]))
            total += weight * float(loss.detach())

    def matvec(v: torch.Tensor) -> torch.Tensor:
        v = objective.check_vector("v", v).detach()
        pieces = v.split(sizes)
        vs = [p.view(leaf.shape) for p, leaf in zip(pieces, leaves, strict=True)]
        out = torch.zeros_like(v)
        for weight, live, grads in parts:
            if not grads:
                continue  # the gradient is constant: no curvature from this batch
            hv = torch.autograd.grad(grads, leaves, [vs[i] for i in live], retain_graph=True,
                                     allow_unused=True)
            for piece, h in zip(out.split(sizes), hv, strict=True):
                if h is not None:
                    piece.add_(h.reshape(-1), alpha=weight)
        return out

    return total, matvec


def _previous_vectors(previous, dim: int, dtype, device) -> torch.Tensor | None:
    if previous is None:
        return None
    vecs = previous.eigenvectors if isinstance(previous, EigenEstimate) else previous
    if not isinstance(vecs, torch.Tensor):
        raise CurvatureError(f"previous={type(previous).__name__}: must be an EigenEstimate, "
                             "a tensor of eigenvectors or None")
    vecs = vecs.detach().to(dtype=dtype, device=device)
    if vecs.ndim == 1:
        vecs = vecs[None, :]
    if vecs.ndim != 2 or vecs.shape[1] != dim or not torch.isfinite(vecs).all():
        raise CurvatureError(f"previous: eigenvectors of shape {tuple(vecs.shape)}, expected "
                             f"(k, dim={dim}) and finite")
    return vecs


def track_top_eigenpairs(matvec: Matvec, dim: int, previous=None, *, k: int = 1,
                         which: str = "LA", tol: float | None = None,
                         max_iter: int | None = None, dtype: torch.dtype = torch.float32,
                         device: str | torch.device = "cpu", seed: int = 0) -> EigenEstimate:
    """The ``k`` wanted eigenpairs of ``matvec`` (``which`` as in
    :func:`~empirical._eigen.lanczos`), warm-started from ``previous`` (the last
    :class:`EigenEstimate`, or its eigenvectors; ``None`` for a cold start).

    Args:
        tol: the eigenvalue error bound ``min(r, 2 r^2/delta)`` of every wanted pair must be
            at most ``tol * max|theta|`` (default 1e-4 in float32, 1e-8 in float64).
        max_iter: at most this many products (default ``min(dim, 300)``).
        seed: the random vector used only if the Krylov space becomes invariant (or for a
            cold start).

    Returns the :class:`EigenEstimate`; pass it back as ``previous`` at the next call.
    """
    tol_value = DEFAULT_TOL.get(dtype, 1e-8) if tol is None else float(tol)
    device = torch.device(device)
    vecs = _previous_vectors(previous, dim, dtype, device)
    v0 = None
    if vecs is not None:
        v0 = vecs[0] if vecs.shape[0] == 1 else vecs.sum(dim=0)
        if float(v0.norm()) == 0.0:
            v0 = None

    def small_error(theta: np.ndarray, residual: np.ndarray, kk: int) -> np.ndarray:
        bound = residual.copy()
        for i in range(kk):
            others = np.delete(theta, i)
            if others.size:
                gap = float(np.min(np.abs(others - theta[i])))
                if gap > 0:
                    bound[i] = min(bound[i], 2 * residual[i] ** 2 / gap)
        return bound

    return lanczos(matvec, dim, k=k, dtype=dtype, device=device, v0=v0, tol=tol_value,
                   max_iter=max_iter, min_iter=min(dim, k + 2), seed=seed,
                   warm_noise=0.0, check_residual=False, which=which,
                   error_bound=small_error)


def track_top_eigenpair(matvec: Matvec, dim: int, previous=None, *, tol: float | None = None,
                        max_iter: int | None = None, dtype: torch.dtype = torch.float32,
                        device: str | torch.device = "cpu", seed: int = 0) -> EigenEstimate:
    """The largest eigenpair of ``matvec``: :func:`track_top_eigenpairs` with ``k=1``
    (same warm start, same stopping rule ``min(r, 2 r^2 / delta) <= tol * max|theta|``
    after at least 3 products, same breakdown restart), in a leaner loop for the monitor,
    whose products take a few milliseconds: the Ritz values from LAPACK's ``dstev``, the
    finiteness of a product read from its norm, one ``addmv`` per Gram-Schmidt pass.  That
    saves about half of the ~0.5 ms per iteration that the general :func:`lanczos` spends
    around each product (``benchmarks/bench_monitor.py``).  The results equal
    :func:`track_top_eigenpairs`' up to rounding."""
    from scipy.linalg.lapack import dstev

    from empirical._device import generator
    from empirical._eigen import _check_common

    _check_common(dim, 1, tol, dtype, max_iter)
    tol_value = DEFAULT_TOL[dtype] if tol is None else float(tol)
    limit = min(dim, 300) if max_iter is None else min(max_iter, dim)
    min_iter = min(limit, 3)
    device = torch.device(device)
    vecs = _previous_vectors(previous, dim, dtype, device)
    gen = generator(seed, device)
    noise = torch.randn(dim, generator=gen, dtype=dtype, device=device)
    q = noise if vecs is None else vecs.sum(dim=0)
    if float(q.norm()) == 0.0:
        q = noise
    q = q / q.norm()
    restart = generator(seed + 1, device)
    basis = torch.empty(limit, dim, dtype=dtype, device=device)
    alphas: list[float] = []
    betas: list[float] = []
    history: list[float] = []
    done, beta, s, theta = False, 0.0, np.ones((1, 1)), np.zeros(1)
    for j in range(limit):
        basis[j] = q
        w = matvec(q)
        if not isinstance(w, torch.Tensor) or tuple(w.shape) != (dim,):
            raise CurvatureError(
                f"matvec returned {type(w).__name__} of shape "
                f"{tuple(getattr(w, 'shape', ()))}; it must return a tensor of shape ({dim},)")
        alpha = float(q @ w)
        for _ in range(2):  # full reorthogonalisation, twice
            w = torch.addmv(w, basis[: j + 1].T, basis[: j + 1] @ w, alpha=-1.0)
        beta = float(w.norm())
        if not (np.isfinite(alpha) and np.isfinite(beta)):
            raise CurvatureError("matvec: the Hessian-vector product is not finite "
                                 "(the loss overflowed at this theta)")
        alphas.append(alpha)
        if j == 0:
            theta, s = np.array(alphas), np.ones((1, 1))
        else:
            theta, s, info = dstev(np.array(alphas), np.array(betas), compute_v=1)
            if info != 0:  # pragma: no cover - LAPACK failure
                raise CurvatureError(f"Lanczos: the tridiagonal eigensolver failed ({info})")
            theta, s = theta[::-1], s[:, ::-1]
        history.append(float(theta[0]))
        scale = max(float(np.max(np.abs(theta))), np.finfo(np.float64).tiny)
        bound = abs(beta * s[-1, 0])
        if theta.size > 1 and theta[0] > theta[1]:
            bound = min(bound, 2 * bound ** 2 / float(theta[0] - theta[1]))
        breakdown = beta <= 1e-10 * scale
        if j + 1 >= min_iter and bound <= tol_value * scale and not (breakdown and j + 1 < dim):
            done = True
            break
        if j + 1 == limit:
            break
        if breakdown:  # invariant subspace: go on from a fresh orthogonal vector
            w = torch.randn(dim, generator=restart, dtype=dtype, device=device)
            for _ in range(2):
                w = torch.addmv(w, basis[: j + 1].T, basis[: j + 1] @ w, alpha=-1.0)
            betas.append(0.0)
            q = w / w.norm()
        else:
            betas.append(beta)
            q = w / beta
    m = len(alphas)
    coeffs = torch.as_tensor(np.ascontiguousarray(s[:, 0]), dtype=dtype, device=device)
    vec = coeffs @ basis[:m]
    vec = (vec / vec.norm())[None, :]
    return EigenEstimate(theta[:1], vec, np.array([abs(beta * s[-1, 0])]), m, done, "lanczos",
                         tol_value, np.array(history))
