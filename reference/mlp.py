"""The MLP class: the stage functions wired into a trainable model.

With its defaults (sgd, no L2, no decay) it reproduces the tutorial's class
bit for bit: same He initialisation order from ``RandomState(seed)``, same
forward pass, loss, gradients and update.  The extensions are options:

- ``"softmax"`` as the last activation: multi-class, categorical
  cross-entropy, labels given one-hot (n_classes, m);
- ``l2_lambda``: adds lambda/(2m) sum ||W||^2 to the loss and (lambda/m) W to dW;
- ``optimizer``: a name in ``OPTIMIZERS`` or an optimiser instance;
- ``decay_rate``: learning rate alpha_0 / (1 + decay_rate * epoch).
"""
from __future__ import annotations

import numpy as np

from . import backprop
from .activations import ACTIVATIONS, OUTPUT_LOSSES, lookup
from .forward import count_parameters, forward
from .losses import LOSSES, l2_penalty
from .optimizers import inverse_time_decay, make_optimizer


class MLP:
    """A fully connected network trained by full-batch gradient descent.

    Data are column-major: X (n_features, m), Y (n_outputs, m).
    """

    def __init__(self, layer_sizes, activations=None, learning_rate=0.01, seed=42, *,
                 l2_lambda=0.0, optimizer="sgd", decay_rate=0.0, **optimizer_options):
        if len(layer_sizes) < 2:
            raise ValueError("layer_sizes needs at least an input and an output size")
        self.layer_sizes = list(layer_sizes)
        self.L = len(layer_sizes) - 1
        if activations is None:
            activations = ["relu"] * (self.L - 1) + ["sigmoid"]
        if len(activations) != self.L:
            raise ValueError(f"{self.L} layers need {self.L} activations; got {len(activations)}")
        for name in activations:
            lookup(ACTIVATIONS, name, "activation")
        self.loss_name = lookup(OUTPUT_LOSSES, activations[-1], "output activation")
        self.activations = list(activations)
        self.lr = learning_rate
        self.l2_lambda = l2_lambda
        self.decay_rate = decay_rate
        self.optimizer = make_optimizer(optimizer, **optimizer_options)
        self.params = self._he_initialisation(np.random.RandomState(seed))
        self.grads = {}
        self.cache = {}

    def _he_initialisation(self, rng) -> dict:
        """W{l} ~ N(0, 2 / n_{l-1}) of shape (n_l, n_{l-1}), drawn layer by
        layer in order; b{l} zeros of shape (n_l, 1)."""
        params = {}
        for l in range(1, self.L + 1):
            n_prev, n = self.layer_sizes[l - 1], self.layer_sizes[l]
            params[f"W{l}"] = rng.randn(n, n_prev) * np.sqrt(2 / n_prev)
            params[f"b{l}"] = np.zeros((n, 1))
        return params

    def summary(self) -> str:
        """Architecture, activations and parameter count as text."""
        arrows = " → ".join(map(str, self.layer_sizes))
        return (f"Architecture: {arrows}\nActivations: {self.activations}\n"
                f"Total parameters: {count_parameters(self.layer_sizes)}")

    def forward(self, X):
        """Output A_L (n_L, m) for X (n_0, m); keeps the cache for backward."""
        a_L, self.cache = forward(X, self.params, self.activations)
        return a_L

    def compute_loss(self, Y_pred, Y_true):
        """Mean loss of predictions Y_pred against labels Y_true, both (n_L, m),
        plus the L2 term when l2_lambda > 0."""
        loss = LOSSES[self.loss_name](Y_pred, Y_true)
        if self.l2_lambda:
            loss += l2_penalty(self.params, self.l2_lambda, Y_true.shape[1])
        return loss

    def backward(self, Y):
        """Gradients for the batch last passed to ``forward``; stored in ``grads``."""
        self.grads = backprop.backward(Y, self.params, self.cache, self.activations,
                                       l2_lambda=self.l2_lambda)
        return self.grads

    def update_parameters(self, epoch=0):
        """One optimiser step with the (possibly decayed) learning rate."""
        lr = inverse_time_decay(self.lr, epoch, self.decay_rate) if self.decay_rate else self.lr
        self.optimizer.step(self.params, self.grads, lr)

    def train(self, X, Y, epochs=1000, print_every=100, verbose=True):
        """Full-batch training; returns the list of per-epoch losses (floats),
        each measured before that epoch's update."""
        losses = []
        for epoch in range(epochs):
            loss = self.compute_loss(self.forward(X), Y)
            losses.append(loss)
            self.backward(Y)
            self.update_parameters(epoch)
            if verbose and (epoch % print_every == 0 or epoch == epochs - 1):
                print(f"Epoch {epoch:5d} | Loss: {loss:.6f} | Accuracy: {self.evaluate(X, Y):.2%}")
        return losses

    def predict(self, X, threshold=0.5):
        """Class labels of shape (1, m): probability >= threshold for a
        sigmoid output, the most probable class for softmax."""
        probabilities = self.forward(X)
        if self.loss_name == "categorical_cross_entropy":
            return np.argmax(probabilities, axis=0).reshape(1, -1)
        return (probabilities >= threshold).astype(int)

    def evaluate(self, X, Y):
        """Accuracy in [0, 1] against labels Y: (1, m) labels, or one-hot
        (n_classes, m) for a softmax model."""
        labels = np.argmax(Y, axis=0).reshape(1, -1) if Y.shape[0] > 1 else Y
        return float(np.mean(self.predict(X) == labels))
