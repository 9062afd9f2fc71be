"""The paper's landscapes, each with its paper reference.

* :func:`f1`, :func:`f2`, :func:`f3` -- Fig. 4.1 (f2 is the population loss (6.2));
* :func:`valley`, :func:`fig_4_2` -- F(x, y) = f(h(x) y), Section 4.4, Fig. 4.2;
* :func:`two_valley`, :func:`fig_5_1` -- two valleys at two scales (5.1), Fig. 5.1;
* :func:`separable` -- sums over an orthonormal basis (4.4), Theorem 4.2;
* :func:`neuron`, :func:`empirical_loss`, :func:`empirical_loss_closed_form`,
  :func:`population_loss`, :func:`two_layer_two_valley` -- the Section 6 network.
"""

from theory.catalog._paper import f1, f2, f3, log_cosh, pseudo_huber
from theory.catalog._registry import closest_names, describe, get, is_catalog_name, names
from theory.catalog._separable import Separable, random_orthonormal_basis, separable
from theory.catalog._two_layer import (
    empirical_loss,
    empirical_loss_closed_form,
    neuron,
    population_loss,
    two_layer_two_valley,
    uniform_population_loss,
)
from theory.catalog._valleys import TwoValley, Valley, fig_4_2, fig_5_1, two_valley, valley

__all__ = [
    "Separable",
    "TwoValley",
    "Valley",
    "closest_names",
    "describe",
    "empirical_loss",
    "empirical_loss_closed_form",
    "f1",
    "f2",
    "f3",
    "fig_4_2",
    "fig_5_1",
    "get",
    "is_catalog_name",
    "log_cosh",
    "names",
    "neuron",
    "population_loss",
    "pseudo_huber",
    "random_orthonormal_basis",
    "separable",
    "two_layer_two_valley",
    "two_valley",
    "uniform_population_loss",
    "valley",
]
