"""What every curvature matrix of the user's network offers: the Hessian
(:class:`~empirical._hessian_api.Hessian`), the generalised Gauss-Newton matrix and the
Fisher matrices (:mod:`empirical._ggn`) all derive from :class:`CurvatureOperator`, so
each has ``hvp``, ``eigenvalues`` (``which``, ``blocks``/``per_module``), ``trace``,
``density``, ``as_linear_operator`` and ``dense`` with the same meaning.

Subclasses implement :meth:`CurvatureOperator._build`, which returns the matrix-free
product ``v -> M v`` at the stored point (built once, on first use, then reused by every
product: retained graphs).  Block spectra (``per_module=True`` or ``blocks=``) run one
Lanczos process per diagonal block ``M_bb`` through that same product, so the graph of
each batch is built once for all the blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from empirical._spectral import (
    SpectralDensity,
    TraceEstimate,
    hutchinson_trace,
    slq_density,
    top_eigenpairs,
)
from empirical._user_objective import DEFAULT_MEMORY_BYTES, UserObjective
from empirical.errors import CurvatureError
from theory import validation as val

Matvec = Callable[[torch.Tensor], torch.Tensor]


class CurvatureOperator:
    """A symmetric curvature matrix ``M`` of ``objective`` at ``theta``, matrix-free.

    Attributes:
        objective: the :class:`UserObjective` (its ``layout`` names the parameters).
        theta: the point (a copy of the selected parameters, in ``dtype``).
        dim, dtype, device: size of ``theta``, float type and device of every vector.
        n_hvp: matrix-vector products used so far by this object.
    """

    #: name used in messages ("Hessian", "GGN", ...)
    kind = "curvature"

    def __init__(self, objective: UserObjective, theta: torch.Tensor | None = None):
        self.objective = objective
        self.theta = (objective.theta0 if theta is None
                      else objective.check_vector("theta", theta).detach().clone())
        self.dim, self.dtype, self.device = objective.dim, objective.dtype, objective.device
        self.n_hvp = 0
        self._matvec: Matvec | None = None

    def _build(self) -> Matvec:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- products ----------------------------------------------------------------------
    def _product(self, v: torch.Tensor) -> torch.Tensor:
        if self._matvec is None:
            self._matvec = self._build()
        self.n_hvp += 1
        return self._matvec(v)

    def hvp(self, v) -> Any:  # a tensor, or a dict of tensors for a dict
        """``M v`` for a flat vector ``v`` (length ``dim``) or a dict ``{name: tensor}``
        shaped like the parameters (then a dict is returned)."""
        if isinstance(v, dict):
            flat = self.flatten(v)
            return self.objective.layout.unflatten(self._product(flat))
        if not isinstance(v, torch.Tensor):
            try:
                v = torch.as_tensor(v)
            except (TypeError, ValueError, RuntimeError):
                raise CurvatureError(f"v={v!r:.60}: must be a vector of {self.dim} numbers "
                                     "or a dict {name: tensor}") from None
        if not (v.is_floating_point() or v.dtype in (torch.int32, torch.int64)):
            raise CurvatureError(f"v: a tensor of dtype {v.dtype}; give real numbers")
        return self._product(self.objective.check_vector("v", v.to(self.dtype)))

    matvec = hvp

    def flatten(self, tensors: dict) -> torch.Tensor:
        """A ``{name: tensor}`` dict (every selected parameter) as one flat vector."""
        names = self.objective.layout.names
        missing = [n for n in names if n not in tensors]
        if missing:
            raise CurvatureError(f"v: misses the parameter(s) {', '.join(missing[:4])}")
        return torch.cat([torch.as_tensor(tensors[n]).reshape(-1).to(self.dtype).to(
            self.device) for n in names])

    def unflatten(self, v: torch.Tensor) -> dict[str, torch.Tensor]:
        """A flat vector as ``{name: tensor}`` views shaped like the parameters."""
        return self.objective.layout.unflatten(self.objective.check_vector("v", v))

    # -- blocks ------------------------------------------------------------------------
    def block_indices(self, blocks=None, *, per_module: bool = False
                      ) -> dict[str, torch.Tensor]:
        """``{block name: flat indices}``: ``per_module=True`` groups the parameters by the
        module that owns them (``"0.weight"``, ``"0.bias"`` -> ``"0"``); ``blocks`` is a
        dict ``{name: [parameter names]}`` or a list of parameter-name lists."""
        layout = self.objective.layout
        spans = {name: sl for name, sl, _ in layout.block_slices()}
        if per_module:
            groups: dict[str, list[str]] = {}
            for name in layout.names:
                groups.setdefault(name.rpartition(".")[0] or name, []).append(name)
        elif isinstance(blocks, dict):
            groups = {str(k): list(v) for k, v in blocks.items()}
        elif isinstance(blocks, list | tuple):
            groups = {"+".join(map(str, b)) if not isinstance(b, str) else b:
                      [b] if isinstance(b, str) else list(b) for b in blocks}
        else:
            raise CurvatureError(f"blocks={blocks!r}: must be a dict {{name: [parameter "
                                 "names]}} or a list of parameter-name lists")
        out = {}
        for key, names in groups.items():
            unknown = [n for n in names if n not in spans]
            if unknown or not names:
                raise CurvatureError(f"blocks: block {key!r} names {unknown or names!r}, not "
                                     f"selected parameters ({', '.join(layout.names[:6])} ...)")
            out[key] = torch.cat([torch.arange(spans[n].start, spans[n].stop,
                                               device=self.device) for n in names])
        return out

    def _block_matvec(self, idx: torch.Tensor) -> Matvec:
        def matvec(u: torch.Tensor) -> torch.Tensor:
            v = torch.zeros(self.dim, dtype=self.dtype, device=self.device)
            v[idx] = u
            return self._product(v)[idx]

        return matvec

    # -- spectral quantities -------------------------------------------------------------
    def eigenvalues(self, k: int = 1, *, which: str = "LA", tol: float | None = None,
                    max_iter: int | None = None, seed: int = 0,
                    v0: torch.Tensor | None = None, repeated: bool = False, blocks=None,
                    per_module: bool = False):
        """The ``k`` largest eigenvalues (``which="LA"``; ``"SA"`` the smallest, ``"LM"``
        the largest in magnitude) with unit eigenvectors (rows of ``.eigenvectors``) and
        residuals ``||M v - lambda v||``, from one Lanczos run
        (:func:`~empirical._spectral.top_eigenpairs`; ``repeated=True`` also finds the
        further copies of exactly repeated eigenvalues, at the cost of a second run).

        With ``per_module=True`` or ``blocks=``: a dict ``{block: EigenEstimate}`` of the
        diagonal blocks ``M_bb`` (layer-wise spectra), all through the same retained
        graphs."""
        if blocks is None and not per_module:
            return top_eigenpairs(self._product, self.dim, k=k, dtype=self.dtype,
                                  device=self.device, tol=tol, max_iter=max_iter, seed=seed,
                                  v0=v0, which=which, repeated=repeated)
        out = {}
        for key, idx in self.block_indices(blocks, per_module=per_module).items():
            out[key] = top_eigenpairs(self._block_matvec(idx), int(idx.numel()),
                                      k=min(k, int(idx.numel())), dtype=self.dtype,
                                      device=self.device, tol=tol, max_iter=max_iter,
                                      seed=seed, which=which, repeated=repeated)
        return out

    def trace(self, *, n_samples: int = 60, method: str = "hutch++",
              seed: int = 0) -> TraceEstimate:
        """``tr M`` with a standard error (Hutch++ by default; ``method="hutchinson"``)."""
        return hutchinson_trace(self._product, self.dim, n_samples=n_samples, method=method,
                                dtype=self.dtype, device=self.device, seed=seed)

    def density(self, *, n_probes: int = 4, steps: int = 40, seed: int = 0) -> SpectralDensity:
        """Eigenvalue density by stochastic Lanczos quadrature (``n_probes`` x ``steps``
        products)."""
        return slq_density(self._product, self.dim, n_probes=n_probes, steps=steps,
                           dtype=self.dtype, device=self.device, seed=seed)

    def as_linear_operator(self):
        """A ``scipy.sparse.linalg.LinearOperator`` (NumPy in, NumPy out), e.g. for
        ``scipy.sparse.linalg.eigsh`` (as curvlinops offers)."""
        import scipy.sparse.linalg

        np_dtype = np.float32 if self.dtype == torch.float32 else np.float64

        def matvec(x):
            x = torch.as_tensor(np.asarray(x, dtype=np_dtype).reshape(-1), device=self.device)
            return self._product(x).cpu().numpy()

        return scipy.sparse.linalg.LinearOperator((self.dim, self.dim), matvec=matvec,
                                                  rmatvec=matvec, dtype=np_dtype)

    def dense(self, *, max_bytes: int = DEFAULT_MEMORY_BYTES) -> torch.Tensor:
        """The dense ``dim x dim`` matrix (symmetrised), one column per product; refused
        when its estimated memory (the matrix in ``dtype`` plus the retained graphs of the
        data) exceeds ``max_bytes``."""
        max_bytes = val.whole_number("max_bytes", max_bytes, minimum=1, error=CurvatureError)
        need = self.objective.dense_bytes()
        if need > max_bytes:
            raise CurvatureError(
                f"max_bytes={max_bytes}: the dense {self.kind} needs about {need / 1e9:.2g} GB "
                f"(dim={self.dim} in {self.dtype}, n={self.objective.n} examples in "
                f"{len(self.objective.batches)} batch(es)); use eigenvalues()/trace()/density()"
                " or raise max_bytes")
        out = torch.empty(self.dim, self.dim, dtype=self.dtype, device=self.device)
        e = torch.zeros(self.dim, dtype=self.dtype, device=self.device)
        for j in range(self.dim):
            e[j] = 1.0
            out[j] = self._product(e)
            e[j] = 0.0
        return 0.5 * (out + out.T)
