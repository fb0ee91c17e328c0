"""Typical student mistakes, each an edit of one answer cell of a solution
notebook: (stage, answer cell, text in the solution, replacement, the name
of the classic mistake the grader should recognise or None, the function
that has the mistake).  Every one must lose points in its stage, and only
in the checks of that function (the grading policy: one defect costs once)."""

MISTAKES = [
    # 01 activations
    ("01_activations", "sigmoid", "np.exp(-z_clipped)", "np.exp(z_clipped)",
     "sigmoid with exp(z) instead of exp(-z)", "sigmoid"),
    ("01_activations", "sigmoid", "z_clipped = np.clip(z, -500.0, 500.0)", "z_clipped = z", None, "sigmoid"),
    ("01_activations", "sigmoid_derivative", "s = sigmoid(z)", "s = z",
     "sigmoid derivative computed from z as if it were the activation", "sigmoid_derivative"),
    ("01_activations", "sigmoid_derivative", "dadz = s * (1.0 - s)", "dadz = s",
     "sigmoid derivative missing the (1 - s) factor", "sigmoid_derivative"),
    ("01_activations", "tanh", "a = np.tanh(z)", "a = (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))", None, "tanh"),
    ("01_activations", "tanh_derivative", "t = np.tanh(z)", "t = z", "tanh derivative written as 1 - z^2", "tanh_derivative"),
    ("01_activations", "tanh_derivative", "dadz = 1.0 - t * t", "dadz = 1.0 - t", "tanh derivative without the square", "tanh_derivative"),
    ("01_activations", "relu", "a = np.maximum(0.0, z)", "z[z < 0] = 0.0\n    a = z", None, "relu"),
    ("01_activations", "relu", "a = np.maximum(0.0, z)", "a = np.minimum(0.0, z)", "relu as min(0, z)", "relu"),
    ("01_activations", "relu_derivative", "(z > 0)", "(z >= 0)", "relu derivative equal to 1 at z = 0", "relu_derivative"),
    ("01_activations", "relu_derivative", "dadz = (z > 0).astype(float)", "dadz = z > 0", None, "relu_derivative"),

    # 02 forward pass
    ("02_forward_pass", "layer_forward", "z = W @ a_prev + b", "z = W @ a_prev", "bias left out of the layer", "layer_forward"),
    ("02_forward_pass", "layer_forward", "return z, a", "return a, z", "layer returns (a, z) instead of (z, a)", "layer_forward"),
    ("02_forward_pass", "layer_forward", "a = g(z)", "a = z", "activation not applied", "layer_forward"),
    ("02_forward_pass", "forward", "activations[l - 1]", "activations[0]", "one activation used for every layer", "forward"),
    ("02_forward_pass", "forward", 'cache[f"Z{l}"] = z', 'cache[f"Z{l}"] = a', None, "forward"),
    ("02_forward_pass", "count_parameters", " + layer_sizes[l]\n", "\n", "biases not counted", "count_parameters"),
    # 03 backprop
    ("03_backprop", "binary_cross_entropy", "np.mean(per_example)", "np.sum(per_example)",
     "loss summed instead of averaged over the batch", "binary_cross_entropy"),
    ("03_backprop", "binary_cross_entropy", "p = np.clip(y_hat, 1e-15, 1 - 1e-15)", "p = y_hat", None, "binary_cross_entropy"),
    ("03_backprop", "backward", "/ m", "", "gradients not averaged over the batch", "backward"),
    ("03_backprop", "backward", '(cache[f"Z{l - 1}"])', '(cache[f"A{l - 1}"])',
     "activation derivative evaluated at A instead of Z", "backward"),
    ("03_backprop", "backward", "DERIVATIVES[activations[l - 2]]", "DERIVATIVES[activations[l - 1]]",
     "derivative of the current layer used instead of the previous one", "backward"),
    ("03_backprop", "update_parameters", "value - learning_rate", "value + learning_rate",
     "gradient added instead of subtracted", "update_parameters"),
    # 04 MLP class
    ("04_mlp_class", "mlp_class", "np.sqrt(2 / n_prev)", "np.sqrt(1 / n_prev)",
     "Xavier scale sqrt(1 / n_prev) instead of He's sqrt(2 / n_prev)", "MLP.__init__"),
    ("04_mlp_class", "mlp_class", "rng.randn(n_here, n_prev)", "rng.randn(n_prev, n_here).T",
     "weights drawn with shape (n_prev, n_l) and transposed", "MLP.__init__"),
    ("04_mlp_class", "mlp_class", "(1 / m) * ", "", None, "MLP.backward"),
    ("04_mlp_class", "mlp_class", "self.update_parameters()\n",
     "self.update_parameters()\n            losses[-1] = self.compute_loss(self.forward(X), Y)\n",
     "loss recorded after the update", "MLP.train"),
    ("04_mlp_class", "mlp_class", ">= threshold", "> threshold", "a probability of exactly the threshold labelled 0", "MLP.predict"),
    ("04_mlp_class", "mlp_class", "accuracy = float(", "accuracy = 100 * float(", "accuracy as a percentage", "MLP.evaluate"),
    # 05 moons
    ("05_moons", "standardize", "X_test_s = (X_test - mean) / std",
     "X_test_s = (X_test - X_test.mean(axis=0)) / X_test.std(axis=0)", "standardising with test-set statistics", "standardize"),
    ("05_moons", "train_test_split", "order = rng.permutation(n)", "order = np.arange(n)", "split without shuffling", "train_test_split"),
    ("05_moons", "make_moons", "1 - np.sin(t_lower) - 0.5", "np.sin(t_lower) - 0.5", None, "make_moons"),
    ("05_moons", "make_moons", "order = rng.permutation(n_samples)", "order = rng.permutation(2 * n_upper)", None, "make_moons"),
    ("05_moons", "make_moons", "rng.normal(0, noise", "np.random.normal(0, noise", None, "make_moons"),
    ("05_moons", "plot_decision_boundary", "((points - mean) / std).T", "points.T", None, "plot_decision_boundary"),
    # 06 extensions
    ("06_extensions", "softmax", "shifted = z - np.max(z, axis=0, keepdims=True)", "shifted = z", None, "softmax"),
    ("06_extensions", "softmax", "axis=0", "axis=1", "softmax over the rows instead of the columns", "softmax"),
    ("06_extensions", "one_hot", "Y = np.zeros((n_classes, labels.size))\n    Y[labels, np.arange(labels.size)] = 1.0",
     "Y = np.zeros((labels.size, n_classes))\n    Y[np.arange(labels.size), labels] = 1.0",
     "one-hot matrix transposed", "one_hot"),
    ("06_extensions", "categorical_cross_entropy", ") / m)", "))", "categorical loss summed instead of averaged", "categorical_cross_entropy"),
    ("06_extensions", "l2_penalty", "l2_lambda / (2 * m)", "l2_lambda / m", "L2 penalty without the 1/2", "l2_penalty"),
    ("06_extensions", "l2_gradient", "(l2_lambda / m) * W", "(l2_lambda / (2 * m)) * W",
     "L2 gradient with lambda/(2m) instead of lambda/m", "l2_gradient"),
    ("06_extensions", "momentum", "(1 - self.beta) * g", "g", "momentum without the (1 - beta) factor", "Momentum.step"),
    ("06_extensions", "rmsprop", "(np.sqrt(s) + self.epsilon)", "np.sqrt(s + self.epsilon)",
     "epsilon inside the square root", "RMSprop.step"),
    ("06_extensions", "adam", "m_hat = m / (1 - self.beta1 ** self.t)\n            v_hat = v / (1 - self.beta2 ** self.t)",
     "m_hat = m\n            v_hat = v", "Adam without bias correction", "Adam.step"),
    ("06_extensions", "inverse_time_decay", "learning_rate / (1 + decay_rate * epoch)",
     "learning_rate * (1 + decay_rate * epoch)", "decay multiplied instead of divided", "inverse_time_decay"),
    ("06_extensions", "make_circles", "n_outer, endpoint=False", "n_outer", None, "make_circles"),
]
