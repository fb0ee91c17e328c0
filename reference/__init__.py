"""Reference solution of the MLP course kit: every stage's functions.

Arrays are column-major as in the tutorial (features x samples), except the
data-set helpers, which return row-major X of shape (n, 2).
"""
from .activations import (
    ACTIVATIONS, DERIVATIVES, relu, relu_derivative, sigmoid, sigmoid_derivative,
    softmax, tanh, tanh_derivative,
)
from .backprop import backward, update_parameters
from .datasets import make_circles, make_moons, make_spirals, standardize, train_test_split
from .forward import count_parameters, forward, layer_forward
from .gradcheck import elementwise_gradient, numerical_gradient, relative_error
from .losses import binary_cross_entropy, categorical_cross_entropy, l2_gradient, l2_penalty, one_hot
from .mlp import MLP
from .optimizers import OPTIMIZERS, SGD, Adam, Momentum, RMSprop, inverse_time_decay, make_optimizer
from .plotting import boundary_grid, plot_activations, plot_decision_boundary, plot_losses

__all__ = [
    "ACTIVATIONS", "DERIVATIVES", "OPTIMIZERS", "MLP", "SGD", "Adam", "Momentum", "RMSprop",
    "backward", "binary_cross_entropy", "categorical_cross_entropy", "count_parameters",
    "elementwise_gradient", "forward", "inverse_time_decay", "l2_gradient", "l2_penalty", "layer_forward",
    "make_circles", "make_moons", "make_optimizer", "make_spirals", "numerical_gradient", "one_hot",
    "boundary_grid", "plot_activations", "plot_decision_boundary", "plot_losses", "relative_error", "relu",
    "relu_derivative", "sigmoid", "sigmoid_derivative", "softmax", "standardize", "tanh",
    "tanh_derivative", "train_test_split", "update_parameters",
]
