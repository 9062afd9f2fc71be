"""``empirical.hessian``: the Hessian of the user's own network, shaped like PyHessian.

>>> H = empirical.hessian(model, nn.CrossEntropyLoss(), loader)     # doctest: +SKIP
>>> H.eigenvalues(k=3).eigenvalues, H.trace().value, H.density()     # doctest: +SKIP

The object is the Hessian of the exact full-batch loss at the model's parameters when it
was built (see :class:`~empirical._user_objective.UserObjective` for what is accepted).
Products reuse each batch's retained gradient graph while the memory budget allows
(``benchmarks/bench_hvp.py``: 3.5x cheaper than forward-over-reverse on the digits MLP).
"""

from __future__ import annotations

from empirical._operator import CurvatureOperator
from empirical._user_objective import DEFAULT_MEMORY_BYTES, UserObjective


class Hessian(CurvatureOperator):
    """The Hessian of ``objective`` at ``theta`` (flat parameter vector), matrix-free; the
    spectral methods (``eigenvalues``, ``trace``, ``density``, ``hvp``,
    ``as_linear_operator``, ``dense``) are those of :class:`CurvatureOperator`.

    Attributes:
        objective: the :class:`UserObjective` (its ``layout`` names the parameters).
        theta: the point (a copy of the selected parameters, in ``dtype``).
        dim, dtype, device: size of ``theta``, float type and device of every vector.
        n_hvp: Hessian-vector products used so far by this object.
    """

    kind = "Hessian"

    def _build(self):
        return self.objective.operator(self.theta)

    # -- the landscape (Sections 3.1, 3.2; Li et al. 2018) --------------------------------
    def gradient_slice(self, **kwargs):
        """The gradient-direction slice and its growth exponent (Fig. 3.1):
        :func:`empirical.gradient_slice` at this point (same keyword arguments)."""
        from empirical._slice import gradient_slice

        return gradient_slice(self.objective, self.theta, **kwargs)

    def separate_scales(self, **kwargs):
        """Curvature profiles over scales along the filter-normalised gradient and random
        directions (Fig. 3.2): :func:`empirical.separate_scales` at this point."""
        from empirical._scales import separate_scales

        return separate_scales(self.objective, self.theta, self.objective.layout, **kwargs)

    def loss_surface(self, *, dims: int = 2, span: float = 1.0, n_points: int = 21,
                     seed: int = 0, bias: str = "zero", directions=None):
        """The loss along ``dims`` (1 or 2) filter-normalised random directions (Li et al.
        2018; ``bias`` chooses their treatment of 1-D parameters, see
        :mod:`empirical._landscape`) or along your own ``directions`` (one or two flat
        vectors or ``{name: tensor}`` dicts); the directions used come back in
        ``.directions``; plot it with :func:`empirical.plot_surface`."""
        from empirical._landscape import loss_surface

        return loss_surface(self.objective, self.theta, self.objective.layout, dims=dims,
                            span=span, n_points=n_points, seed=seed, bias=bias,
                            directions=directions)


def hessian(model, criterion, data, *, params=None, dtype=None, device=None,
            eval_mode: bool = False, batch_size: int | None = None,
            memory_bytes: int = DEFAULT_MEMORY_BYTES, forward=None) -> Hessian:
    """The Hessian of the full-batch loss of ``model`` on ``data`` at its current parameters.

    Args:
        model: any ``torch.nn.Module`` (not modified).
        criterion: a callable ``(outputs, targets) -> scalar`` (``nn.CrossEntropyLoss()``,
            ``nn.MSELoss()``, a function) or ``"mse"`` / ``"ce"`` (int64 labels).
        data: an ``(inputs, targets)`` pair, a ``TensorDataset`` or any iterable of
            ``(inputs, targets)`` batches (a ``DataLoader``); read once and kept on the
            device; the loss is the exact full-batch one (batches weighted by size). The
            inputs may be a tensor, a dict of tensors or a tuple of tensors.
        params: which parameters: ``None`` (all with ``requires_grad``), a predicate
            ``(name, param) -> bool``, a name or an iterable of names / parameters.
        dtype: ``"float32"`` / ``"float64"`` (or torch dtypes); default the model's, and
            float32 for a bfloat16/float16 model (evaluated at its parameters upcast).
            A float64 Hessian of a float32 model needs no copy of the model.
        device: must be where the model is (checked); default the model's device.
        eval_mode: evaluate a model whose Dropout/BatchNorm are in training mode in eval
            mode (by default such a model is refused: its loss is random or mixes examples).
        batch_size: split an ``(inputs, targets)`` pair into batches of this size.
        memory_bytes: budget for keeping every batch's gradient graph between products.
        forward: ``(model, inputs) -> outputs tensor`` (default ``model(inputs)``,
            ``model(**inputs)`` for a dict, ``model(*inputs)`` for a tuple), e.g.
            ``lambda m, x: m(**x).logits`` or ``lambda m, x: m(x)[0]``.

    Raises:
        ModelError, DataError, DeviceError, CurvatureError: bad input, named (all are
            ``ValueError`` subclasses).
    """
    objective = UserObjective(model, criterion, data, params=params, dtype=dtype,
                              device=device, eval_mode=eval_mode, batch_size=batch_size,
                              memory_bytes=memory_bytes, forward=forward)
    return Hessian(objective)
