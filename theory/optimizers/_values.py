"""Optimizer value objects: GD (4.1), heavy-ball momentum, Nesterov and SGD.

Each is a frozen dataclass validated on construction; a bad value raises
:class:`OptimizerError` (a :class:`~theory.errors.MslValueError`) naming the argument and the
value.  The deterministic optimizers act on the two-state (x_t, x_{t-1}):

* :class:`GD`        -- x_{t+1} = x_t - eta f'(x_t)                              (4.1)
* :class:`HeavyBall` -- x_{t+1} = x_t - eta f'(x_t) + beta (x_t - x_{t-1})
* :class:`Nesterov`  -- y_t = x_t + beta (x_t - x_{t-1}),  x_{t+1} = y_t - eta f'(y_t)

:class:`SGD` is GD plus a seeded noise model (Remarks 4.1 and 4.2):

* ``noise="additive"``      -- x_{t+1} = x_t - eta (grad f(x_t) + sigma xi_t), xi_t ~ N(0, I);
* ``noise="interpolation"`` -- the noise is scaled by sqrt(2 f(x_t)) (minibatch noise on
  data that the model interpolates: the per-sample residuals, hence the noise, vanish at the
  minima, as in Remark 4.1's "the noise vanishes at the minima");
* ``noise="label"`` -- label noise on the Section 6 data ``data`` (inputs x_i of (6.1)):
  Gaussian with scale (2 sigma/n) sqrt(sum_i df/dw(x_i, w)^2)
  (:func:`theory.optimizers.label_noise.label_noise_scale`).
"""

from __future__ import annotations

from dataclasses import dataclass

from theory import validation
from theory.errors import MslValueError

__all__ = [
    "GD",
    "NOISE_MODELS",
    "SGD",
    "VALUE_OPTIMIZERS",
    "HeavyBall",
    "Nesterov",
    "OptimizerError",
    "make_optimizer",
]

#: the optimizers with a value object here (the whole vocabulary, with the single-state maps
#: that need none: theory.optimizers.MAPS)
VALUE_OPTIMIZERS = ("gd", "momentum", "nesterov", "sgd")
#: the noise models of :class:`SGD`
NOISE_MODELS = ("additive", "interpolation", "label")


class OptimizerError(MslValueError):
    """An optimizer parameter (beta, sigma, seed, noise model, name) was rejected."""


def _momentum(value) -> float:
    beta = validation.real("beta", value, error=OptimizerError)
    if not 0.0 <= beta < 1.0:
        raise OptimizerError(
            f"beta={value!r} is outside [0, 1): the momentum coefficient must satisfy "
            "0 <= beta < 1 (beta >= 1 never converges)"
        )
    return beta


@dataclass(frozen=True)
class GD:
    """Plain gradient descent (4.1); the same as ``HeavyBall(0)`` and ``Nesterov(0)``."""

    name = "gd"

    @property
    def beta(self) -> float:
        return 0.0

    @property
    def deterministic(self) -> bool:
        return True


@dataclass(frozen=True)
class _Momentum:
    """A deterministic optimizer with a momentum 0 <= beta < 1 (validated)."""

    beta: float

    def __post_init__(self):
        object.__setattr__(self, "beta", _momentum(self.beta))

    @property
    def deterministic(self) -> bool:
        return True


@dataclass(frozen=True)
class HeavyBall(_Momentum):
    """Polyak's heavy-ball momentum x_{t+1} = x_t - eta f'(x_t) + beta (x_t - x_{t-1})."""

    name = "momentum"


@dataclass(frozen=True)
class Nesterov(_Momentum):
    """Nesterov's accelerated gradient with constant momentum beta (gradient taken at the
    look-ahead point y_t = x_t + beta (x_t - x_{t-1}))."""

    name = "nesterov"


@dataclass(frozen=True)
class SGD:
    """GD with seeded gradient noise of scale ``sigma`` (see the module docstring)."""

    sigma: float
    seed: int = 0
    noise: str = "additive"
    #: the Section 6 inputs x_i of ``noise="label"`` (see :mod:`.label_noise`)
    data: tuple[float, ...] = ()
    name = "sgd"

    def __post_init__(self):
        put = object.__setattr__
        put(self, "sigma", validation.real("sigma", self.sigma, minimum=0.0,
                                           error=OptimizerError))
        put(self, "seed", validation.seed(self.seed, error=OptimizerError))
        validation.choice("noise", self.noise, NOISE_MODELS, error=OptimizerError)
        data = tuple(validation.positive_real(f"data[{i}]", x, error=OptimizerError)
                     for i, x in enumerate(self.data))
        if (self.noise == "label") != bool(data):
            raise OptimizerError(
                f"noise={self.noise!r} with data={self.data!r}: label noise needs the Section 6 "
                "inputs (data), and only label noise takes them")
        put(self, "data", data)

    @property
    def beta(self) -> float:
        return 0.0

    @property
    def deterministic(self) -> bool:
        return False


def make_optimizer(name: str = "gd", *, beta=None, sigma=None, seed: int = 0,
                   noise: str = "additive", data=()):
    """The optimizer called ``name`` (one of :data:`VALUE_OPTIMIZERS`), as the CLI builds it.

    ``beta`` (required) belongs to momentum/nesterov, ``sigma`` (required) to sgd; giving
    one to an optimizer that has no such parameter is an error, not silently ignored.
    """
    if name not in VALUE_OPTIMIZERS:
        raise OptimizerError(f"optimizer={name!r} is not one of {', '.join(VALUE_OPTIMIZERS)}")
    if name != "sgd" and sigma is not None:
        raise OptimizerError(
            f"sigma={sigma!r} was given with the deterministic optimizer {name!r}; the noise "
            "scale belongs to --optimizer sgd"
        )
    if name in ("gd", "sgd") and beta is not None and float(beta) != 0.0:
        raise OptimizerError(
            f"beta={beta!r} was given with optimizer {name!r}, which has no momentum; use "
            "--optimizer momentum or nesterov"
        )
    if name == "gd":
        return GD()
    if name == "sgd":
        if sigma is None:
            raise OptimizerError("optimizer='sgd' needs a noise scale sigma >= 0 (--sigma)")
        return SGD(sigma, seed=seed, noise=noise, data=tuple(data))
    if beta is None:
        raise OptimizerError(f"optimizer={name!r} needs a momentum beta in [0, 1) (--beta)")
    return HeavyBall(beta) if name == "momentum" else Nesterov(beta)
