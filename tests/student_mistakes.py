"""Typical student mistakes, each an edit of one answer cell of a solution
notebook: (stage, answer cell, text in the solution, replacement, the name
of the classic mistake the grader should recognise or None).  Every one
must lose points in its stage."""

MISTAKES = [
    # 01 activations
    ("01_activations", "sigmoid", "np.exp(-z_clipped)", "np.exp(z_clipped)",
     "sigmoid with exp(z) instead of exp(-z)"),
    ("01_activations", "sigmoid", "z_clipped = np.clip(z, -500.0, 500.0)", "z_clipped = z", None),
    ("01_activations", "sigmoid_derivative", "s = sigmoid(z)", "s = z",
     "sigmoid derivative computed from z as if it were the activation"),
    ("01_activations", "sigmoid_derivative", "dadz = s * (1.0 - s)", "dadz = s",
     "sigmoid derivative missing the (1 - s) factor"),
    ("01_activations", "tanh", "a = np.tanh(z)", "a = (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))", None),
    ("01_activations", "tanh_derivative", "t = np.tanh(z)", "t = z", "tanh derivative written as 1 - z^2"),
    ("01_activations", "tanh_derivative", "dadz = 1.0 - t * t", "dadz = 1.0 - t", "tanh derivative without the square"),
    ("01_activations", "relu", "a = np.maximum(0.0, z)", "z[z < 0] = 0.0\n    a = z", None),
    ("01_activations", "relu", "a = np.maximum(0.0, z)", "a = np.minimum(0.0, z)", "relu as min(0, z)"),
    ("01_activations", "relu_derivative", "(z > 0)", "(z >= 0)", "relu derivative equal to 1 at z = 0"),
    ("01_activations", "relu_derivative", "dadz = (z > 0).astype(float)", "dadz = z > 0", None),
]
