"""The full-batch loss of the user's own model, criterion and data (issue 11).

:class:`UserObjective` is an :class:`~empirical._objective.Objective` built from

* any ``nn.Module`` (its selected parameters are the variable ``theta``; the other
  parameters and the buffers are constants);
* a criterion: any callable ``(outputs, targets) -> scalar`` (``nn.MSELoss()``,
  ``nn.CrossEntropyLoss()``, a function...) or the shortcuts ``"mse"`` (half squared
  error to one-hot labels) and ``"ce"``;
* data: an ``(inputs, targets)`` pair of tensors, a ``TensorDataset``, or any iterable of
  ``(inputs, targets)`` batches (a ``DataLoader``, a list).

The batches are read once, moved to the device (and floating tensors to the dtype) and
kept: every value, gradient and Hessian-vector product is the exact full-batch one,
``criterion(model(X), Y)`` on all the data at once, for every reduction and class
weighting (the weights of the batches: :mod:`empirical._criterion`).  Everything is
checked up front (:func:`validate_model`, :func:`resolve_criterion`,
:func:`collect_batches`) with errors that name the argument.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable

import torch
from torch import nn
from torch.func import functional_call

from empirical._criterion import batch_weights, check_targets, merged, resolve_criterion
from empirical._inputs import Adapted, check_inputs, map_tensors, slice_inputs, tensors_of
from empirical._objective import Objective
from empirical._params import ParamLayout
from empirical.errors import CurvatureError, DataError, DeviceError, ModelError
from theory import validation as val

_STOCHASTIC = (nn.modules.dropout._DropoutNd, nn.modules.batchnorm._BatchNorm)

#: default budget of the retained graphs of :meth:`UserObjective.operator` and of the
#: dense Hessian (bytes)
DEFAULT_MEMORY_BYTES = 2 * 1024**3


def _stochastic_modules(model: nn.Module) -> list[str]:
    return [f"{name or 'model'} ({type(m).__name__})" for name, m in model.named_modules()
            if isinstance(m, _STOCHASTIC) and m.training]


def validate_model(model, eval_mode: bool) -> None:
    """Refuse what is not an ``nn.Module``, and train-mode Dropout/BatchNorm unless
    ``eval_mode`` (then the loss is evaluated in eval mode)."""
    if not isinstance(model, nn.Module):
        raise ModelError(f"model={type(model).__name__}: must be a torch.nn.Module")
    stochastic = _stochastic_modules(model)
    if stochastic and not eval_mode:
        raise ModelError(
            f"model: {', '.join(stochastic[:3])}{' ...' if len(stochastic) > 3 else ''} "
            "in training mode: Dropout makes every evaluation random and BatchNorm mixes the "
            "examples and updates its statistics, so the Hessian is not defined; call "
            "model.eval() first, or pass eval_mode=True to evaluate in eval mode")


@contextlib.contextmanager
def evaluating(model: nn.Module, enabled: bool):
    """Run a block with ``model`` in eval mode (restoring each module's flag)."""
    if not enabled:
        yield
        return
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for m, flag in flags:
            m.training = flag


def select_parameters(model: nn.Module, params) -> list[str]:
    """Names of the parameters that make up ``theta``.

    ``params=None``: every parameter with ``requires_grad`` (frozen ones are constants);
    a callable ``(name, parameter) -> bool``; a name; or an iterable of names and/or
    parameter tensors (explicitly chosen frozen parameters are included)."""
    named = list(model.named_parameters())
    if not named:
        raise ModelError("model: has no parameters")
    if params is None:
        chosen = [n for n, p in named if p.requires_grad]
        if not chosen:
            raise ModelError("model: every parameter is frozen (requires_grad=False); "
                             "pass params=... to choose some")
        return chosen
    if callable(params) and not isinstance(params, nn.Parameter):
        chosen = [n for n, p in named if params(n, p)]
    else:
        if not isinstance(params, str | torch.Tensor | Iterable):
            raise ModelError(f"params={params!r}: must be None, a parameter name, a "
                             "predicate (name, parameter) -> bool, or an iterable of names "
                             "and/or the model's parameters")
        items = [params] if isinstance(params, str | torch.Tensor) else list(params)
        by_id = {id(p): n for n, p in named}
        names = [n for n, _ in named]
        listed = ", ".join(names[:8]) + (" ..." if len(names) > 8 else "")
        wanted = set()
        for item in items:
            if isinstance(item, str):
                if item not in names:
                    raise ModelError(f"params: no parameter named {item!r}; the model has "
                                     f"{listed}")
                wanted.add(item)
            elif isinstance(item, torch.Tensor) and id(item) in by_id:
                wanted.add(by_id[id(item)])
            else:
                raise ModelError(f"params: {type(item).__name__} is neither a parameter name "
                                 "nor one of the model's parameters")
        chosen = [n for n, _ in named if n in wanted]
    if not chosen:
        raise ModelError(f"params={params!r}: selects no parameter")
    return chosen


def model_device(model: nn.Module) -> torch.device:
    devices = {p.device for p in model.parameters()} | {b.device for b in model.buffers()}
    if not devices:
        raise ModelError(f"model={type(model).__name__}: has no parameters, so it has no "
                         "Hessian")
    if len(devices) > 1:
        raise DeviceError(f"model: its tensors are on several devices "
                          f"({', '.join(sorted(map(str, devices)))}); move it to one")
    if any(d.type == "meta" for d in devices):
        raise DeviceError("model: its tensors are on the 'meta' device (shapes without "
                          "values); materialise it first (e.g. model.to_empty(device='cpu') "
                          "and load its weights)")
    return devices.pop()


def _as_pair(batch, index: int):
    if isinstance(batch, dict):
        raise DataError(f"data: batch {index} is a dict; give (inputs, targets) pairs (the "
                        "inputs may be a dict of tensors, read by forward=)")
    try:
        inputs, targets = batch
    except (TypeError, ValueError):
        raise DataError(f"data: batch {index} is {type(batch).__name__}, not an "
                        "(inputs, targets) pair") from None
    if not isinstance(targets, torch.Tensor):
        raise DataError(f"data: the targets of batch {index} are "
                        f"{type(targets).__name__}, not a tensor")
    if not isinstance(inputs, torch.Tensor | dict | tuple | list):
        raise DataError(f"data: the inputs of batch {index} are {type(inputs).__name__}, "
                        "not a tensor, a dict or a tuple of tensors")
    for what, tensors in (("inputs", tensors_of(inputs)), ("targets", [targets])):
        if any(t.device.type == "meta" for t in tensors):
            raise DataError(f"data: the {what} of batch {index} are on the 'meta' device "
                            "(shapes without values); give tensors with data")
    check_inputs(inputs, targets, index)
    return inputs, targets


def collect_batches(data, dtype: torch.dtype, device: torch.device,
                    batch_size: int | None = None) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The data as a list of ``(inputs, targets)`` batches on ``device``; floating inputs
    and targets converted to ``dtype``."""
    if isinstance(data, torch.utils.data.TensorDataset) and len(data.tensors) == 2:
        data = tuple(data.tensors)
    first = data[0] if isinstance(data, tuple | list) and len(data) == 2 else None
    if first is not None and isinstance(data[1], torch.Tensor) and (
            isinstance(first, torch.Tensor | dict)
            or (isinstance(first, tuple) and all(isinstance(t, torch.Tensor) for t in first))):
        inputs, targets = _as_pair(data, 0)
        size = targets.shape[0] if batch_size is None else batch_size
        raw = [(slice_inputs(inputs, i, i + size), targets[i:i + size])
               for i in range(0, targets.shape[0], max(size, 1))]
    elif isinstance(data, torch.Tensor) or not isinstance(data, Iterable):
        raise DataError(f"data={type(data).__name__}: must be an (inputs, targets) pair of "
                        "tensors or an iterable of such batches (e.g. a DataLoader)")
    else:
        raw = [_as_pair(b, i) for i, b in enumerate(data)]
    batches = []
    for x, y in raw:
        if y.shape[0] == 0:
            continue
        x = map_tensors(x, lambda t: t.to(device=device, dtype=dtype if t.is_floating_point()
                                          else t.dtype))
        y = y.to(device=device, dtype=dtype if y.is_floating_point() else y.dtype)
        batches.append((x, y))
    if not batches:
        raise DataError("data: holds no examples")
    return batches


class UserObjective(Objective):
    """The exact full-batch loss of ``criterion(model(x), y)`` over ``data`` as a function
    of the selected parameters (see the module docstring; :func:`empirical.hessian`
    builds one)."""

    def __init__(self, model: nn.Module, criterion, data, *, params=None,
                 dtype: torch.dtype | str | None = None, device: str | torch.device | None = None,
                 eval_mode: bool = False, batch_size: int | None = None,
                 memory_bytes: int = DEFAULT_MEMORY_BYTES, forward=None):
        validate_model(model, eval_mode)
        memory_bytes = val.whole_number("memory_bytes", memory_bytes, minimum=1,
                                        error=CurvatureError)
        self.forward = forward
        self._adapted = Adapted(model, forward)
        self.criterion, self.criterion_name, self.reduction = resolve_criterion(criterion)
        self.model, self.eval_mode, self.memory_bytes = model, bool(eval_mode), memory_bytes
        self.device = self._resolve_device(model, device)
        self.dtype = self._resolve_dtype(model, dtype)
        names = select_parameters(model, params)
        all_params = dict(model.named_parameters())
        self.layout = ParamLayout(tuple(names), tuple(tuple(all_params[n].shape) for n in names))
        self.dim = self.layout.dim
        self.constants = {n: self._cast(t) for n, t in all_params.items() if n not in names}
        self.constants.update({n: self._cast(b) for n, b in model.named_buffers()})
        if batch_size is not None and (isinstance(batch_size, bool)
                                       or not isinstance(batch_size, int) or batch_size < 1):
            raise DataError(f"batch_size={batch_size!r}: must be a positive integer")
        self.batches = collect_batches(data, self.dtype, self.device, batch_size)
        self.n = sum(int(y.shape[0]) for _, y in self.batches)
        # the outputs and loss of the checked batch at theta0, reused by the checks below
        # (one forward pass for all of them when the data is one batch)
        self._probe: tuple | None = None
        self.activation_bytes = self._check_first_batch()
        self.weights = self._batch_weights()
        loss = self._loss_at_theta0()
        self._probe = None
        if not math.isfinite(loss):
            raise DataError(f"criterion={self.criterion_name}: the loss is {loss} at "
                            "the model's parameters")

    def _batch_weights(self) -> list[float]:
        """Exact weights of the batches (:mod:`empirical._criterion`); a criterion of
        unknown reduction gets the data as one batch when that fits ``memory_bytes``."""
        def outputs(x: torch.Tensor) -> torch.Tensor:
            if self._probe is not None and x is self._probe[0]:
                return self._probe[1]
            return self._outputs_at_theta0(x)

        weights = batch_weights(self.criterion, self.criterion_name, self.reduction,
                                self.batches, outputs)
        if weights is not None:
            return weights
        if len(self.batches) == 1:
            return [1.0]
        largest = max(int(y.shape[0]) for _, y in self.batches)
        need = 4 * self.activation_bytes * -(-self.n // largest)
        if need > self.memory_bytes:
            raise CurvatureError(
                f"criterion={self.criterion_name}: its reduction over the examples is "
                f"unknown (no reduction attribute, or not a torch loss), so {len(self.batches)}"
                " batches cannot be combined into the exact full-batch loss, and all the data "
                f"in one batch needs about {need / 1e9:.2g} GB > memory_bytes="
                f"{self.memory_bytes}; use a torch loss (nn.MSELoss(), nn.CrossEntropyLoss()"
                "...), a criterion with reduction='sum', or raise memory_bytes")
        self.batches = merged(self.batches)
        self.activation_bytes = self._check_first_batch()
        return [1.0]

    def _loss_at_theta0(self) -> float:
        """``L(theta0)`` for the finiteness check: the checked batch's loss when it is
        the only batch, else :meth:`value`."""
        if len(self.batches) == 1 and self._probe is not None:
            weight = self.weights[0]
            return 0.0 if weight == 0.0 else weight * float(self._probe[2])
        return self.value(self.theta0)

    # -- construction helpers ----------------------------------------------------------
    @staticmethod
    def _resolve_device(model, device) -> torch.device:
        from empirical._device import resolve_device

        own = model_device(model)
        if device is None:
            return own
        wanted = resolve_device(str(device))
        if wanted.type != own.type or (wanted.index is not None and own.index is not None
                                       and wanted.index != own.index):
            raise DeviceError(f"device={str(device)!r}: the model's parameters are on {own}; "
                              f"move the model first (model.to({str(device)!r}))")
        return own

    @staticmethod
    def _resolve_dtype(model, dtype) -> torch.dtype:
        from empirical._device import resolve_dtype

        if dtype is None:
            floating = [p.dtype for p in model.parameters() if p.is_floating_point()]
            dtype = floating[0] if floating else torch.float32
            # half-precision models (bfloat16, float16) are evaluated at their parameters
            # upcast to float32 (dtype="float64" for more): the curvature needs it
            return dtype if dtype == torch.float64 else torch.float32
        if isinstance(dtype, torch.dtype):
            if dtype not in (torch.float32, torch.float64):
                raise DeviceError(f"dtype={dtype}: must be float32 or float64")
            return dtype
        return resolve_dtype(str(dtype))

    def _cast(self, t: torch.Tensor) -> torch.Tensor:
        t = t.detach()
        return t.to(self.dtype) if t.is_floating_point() else t

    def _check_first_batch(self) -> int:
        """Run the model and criterion on the largest batch: targets checked against the
        outputs, a scalar finite loss required; returns the bytes of the activations of
        that batch (the outputs of every leaf module), for the memory budgets."""
        x, y = max(self.batches, key=lambda b: b[1].shape[0])
        sizes: list[int] = []

        def hook(_module, _inputs, output):
            if isinstance(output, torch.Tensor):
                sizes.append(output.numel() * output.element_size())

        handles = [m.register_forward_hook(hook) for m in self.model.modules()
                   if not list(m.children())]
        try:
            with torch.no_grad():
                outputs = self._outputs_at_theta0(x)
        except RuntimeError as exc:
            shapes = [tuple(t.shape) for t in tensors_of(x)]
            raise DataError(f"data: the model fails on inputs of shape(s) "
                            f"{shapes[0] if len(shapes) == 1 else shapes} "
                            f"({str(exc).splitlines()[0]})") from None
        finally:
            for h in handles:
                h.remove()
        if not isinstance(outputs, torch.Tensor):
            raise ModelError(f"model: returns {type(outputs).__name__}, not a tensor; pass "
                             "forward=lambda model, x: model(x)[0] (or .logits) to pick it")
        check_targets(self.criterion, self.criterion_name, y, outputs)
        try:
            with torch.no_grad():
                value = self.criterion(outputs, y)
        except (RuntimeError, ValueError, IndexError) as exc:
            raise DataError(f"criterion={self.criterion_name}: fails on the model's outputs "
                            f"{tuple(outputs.shape)} and targets {tuple(y.shape)} "
                            f"{y.dtype} ({str(exc).splitlines()[0]})") from None
        if not isinstance(value, torch.Tensor) or value.numel() != 1:
            raise CurvatureError(f"criterion={self.criterion_name}: must return a scalar "
                                 "tensor")
        self._probe = (x, outputs, value)
        return max(sum(sizes), outputs.numel() * outputs.element_size())

    def _outputs_at_theta0(self, x: torch.Tensor) -> torch.Tensor:
        """``outputs(theta0, x)`` for the checks: a plain call of the model when its
        floating tensors are already in ``dtype`` (then they are theta0 and the constants;
        no tensors to swap in)."""
        own = [*self.model.parameters(), *self.model.buffers()]
        if any(t.is_floating_point() and t.dtype != self.dtype for t in own):
            return self.outputs(self.theta0, x)
        with evaluating(self.model, self.eval_mode):
            return self._adapted(x)

    # -- the objective -------------------------------------------------------------------
    @property
    def theta0(self) -> torch.Tensor:
        """The model's current selected parameters as one flat vector (a copy, in dtype)."""
        params = dict(self.model.named_parameters())
        return torch.cat([params[n].detach().reshape(-1).to(self.dtype)
                          for n in self.layout.names])  # cat copies

    def outputs(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``model(x)`` with the selected parameters taken from ``theta``."""
        return self.outputs_of({**self.constants, **self.layout.unflatten(theta)}, x)

    def outputs_of(self, tensors: dict[str, torch.Tensor], x) -> torch.Tensor:
        """``model(x)`` with every parameter and buffer taken from ``tensors`` (names as
        in ``model.named_parameters()``)."""
        with evaluating(self.model, self.eval_mode):
            if self.forward is None and isinstance(x, torch.Tensor):
                return functional_call(self.model, tensors, (x,), strict=False)
            return functional_call(self._adapted, {f"model.{k}": v for k, v in tensors.items()},
                                   (x,), strict=False)

    def _pieces(self):
        for (x, y), weight in zip(self.batches, self.weights, strict=True):
            if weight == 0.0:
                continue  # every target ignored: no term of the full-batch loss

            def fn(theta, x=x, y=y):
                return self.criterion(self.outputs(theta, x), y)

            yield weight, fn

    def retain_graphs(self) -> bool:
        """Keep every batch's graph when about 4x the activations fit the memory budget."""
        return 4 * self.activation_bytes * len(self.batches) <= self.memory_bytes

    def dense_bytes(self) -> int:
        """Estimated bytes of the dense Hessian: the matrix in ``dtype`` plus the graphs
        of the products (about 4x the activations of the data, or of one batch when the
        graphs are not retained)."""
        item = torch.tensor([], dtype=self.dtype).element_size()
        graphs = 4 * self.activation_bytes * (len(self.batches) if self.retain_graphs() else 1)
        return self.dim * self.dim * item + graphs + 4 * self.dim * item

    def load_into_model(self, theta: torch.Tensor) -> None:
        """Copy ``theta`` into the model's selected parameters (in place)."""
        views = self.layout.unflatten(self.check_vector("theta", theta).detach())
        with torch.no_grad():
            for name, p in self.model.named_parameters():
                if name in views:
                    p.copy_(views[name].to(p.dtype))
