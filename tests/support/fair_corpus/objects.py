"""Layer classes and properties, derivatives from the activations, a
numerically stable sigmoid (exp(-|z|), which underflows but never
overflows), log1p, eps = machine epsilon, extra entries (dZ) in the
gradients, a 0.01-step grid with 25 contour levels, the grid sent through
the model in chunks."""
from textwrap import dedent

STYLE = ("layer classes, derivatives from activations, stable exp(-|z|) sigmoid, log1p, eps = 2.2e-16, "
         "dZ kept in grads, 0.01-step grid, 25 levels, chunked forward")

ANSWERS = {
    "01_activations": {
        "sigmoid": dedent('''
            def sigmoid(z):
                """Stable: exp(-|z|) never overflows (it may underflow to 0, which is harmless)."""
                z = np.asarray(z, dtype=float)
                e = np.exp(-np.abs(z))
                return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
            '''),
        "sigmoid_derivative": dedent('''
            def sigmoid_derivative(z):
                """From the activation: a - a^2 with a = sigmoid(z)."""
                a = sigmoid(z)
                return a - a * a
            '''),
        "tanh": dedent('''
            def tanh(z):
                """Through the (stable) sigmoid: tanh(z) = 2 sigmoid(2z) - 1."""
                return 2.0 * sigmoid(2.0 * np.asarray(z, dtype=float)) - 1.0
            '''),
        "tanh_derivative": dedent('''
            def tanh_derivative(z):
                """From the activation: 1 - t^2 with t = tanh(z)."""
                t = tanh(z)
                return 1.0 - t * t
            '''),
        "relu": dedent('''
            def relu(z):
                return np.where(z > 0, z, 0.0)
            '''),
        "relu_derivative": dedent('''
            def relu_derivative(z):
                return np.heaviside(z, 0.0)
            '''),
    },
    "02_forward_pass": {
        "layer_forward": dedent('''
            class Dense:
                """One layer: its weights, bias and activation."""

                def __init__(self, W, b, activation):
                    self.W, self.b, self.g = W, b, get_activation(activation)

                def __call__(self, a_prev):
                    z = np.dot(self.W, a_prev) + self.b
                    return z, self.g(z)


            def layer_forward(a_prev, W, b, activation):
                return Dense(W, b, activation)(a_prev)
            '''),
        "forward": dedent('''
            def forward(x, params, activations):
                """A list of Dense layers, applied in turn."""
                layers = [Dense(params[f"W{l}"], params[f"b{l}"], name) for l, name in enumerate(activations, start=1)]
                cache, a = {"A0": x}, x
                for l, layer in enumerate(layers, start=1):
                    z, a = layer(a)
                    cache[f"Z{l}"], cache[f"A{l}"] = z, a
                return a, cache
            '''),
        "count_parameters": dedent('''
            def count_parameters(layer_sizes):
                return sum(n * (n_prev + 1) for n_prev, n in zip(layer_sizes, layer_sizes[1:]))
            '''),
    },
    "03_backprop": {
        "binary_cross_entropy": dedent('''
            def binary_cross_entropy(y_hat, y):
                """log1p for log(1 - p); eps is float64's machine epsilon."""
                eps = np.finfo(float).eps
                p = np.clip(y_hat, eps, 1 - eps)
                return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))
            '''),
        "backward": dedent('''
            # Each derivative from the layer's output A: the same numbers as from Z.
            SLOPE_FROM_A = {"sigmoid": lambda a: a * (1 - a), "tanh": lambda a: 1 - a ** 2,
                            "relu": lambda a: (a > 0).astype(float)}


            def backward(y, params, cache, activations):
                """Also keeps each dZ in grads (more keys than asked)."""
                L, m = len(activations), y.shape[1]
                grads = {}
                dZ = cache[f"A{L}"] - y
                for l in reversed(range(1, L + 1)):
                    grads[f"dZ{l}"] = dZ
                    grads[f"dW{l}"] = dZ.dot(cache[f"A{l - 1}"].T) / m
                    grads[f"db{l}"] = dZ.mean(axis=1, keepdims=True)
                    if l > 1:
                        dZ = params[f"W{l}"].T.dot(dZ) * SLOPE_FROM_A[activations[l - 2]](cache[f"A{l - 1}"])
                return grads
            '''),
        "update_parameters": dedent('''
            def update_parameters(params, grads, learning_rate):
                return {name: np.subtract(value, learning_rate * grads[f"d{name}"]) for name, value in params.items()}
            '''),
    },
    "04_mlp_class": {
        "mlp_class": dedent('''
            class Dense:
                """One layer: parameters, what forward kept, gradients."""

                SLOPES = {"sigmoid": lambda a: a * (1 - a), "tanh": lambda a: 1 - a ** 2,
                          "relu": lambda a: (a > 0).astype(float)}

                def __init__(self, W, activation):
                    self.W, self.b = W, np.zeros((W.shape[0], 1))
                    self.activation = activation
                    self.A_prev = self.Z = self.A = None
                    self.dW = self.db = None

                def forward(self, A_prev):
                    self.A_prev = A_prev
                    self.Z = self.W @ A_prev + self.b
                    self.A = ACTIVATIONS[self.activation](self.Z)
                    return self.A

                def slope(self):
                    """g'(Z), computed from the layer's output A."""
                    return self.SLOPES[self.activation](self.A)


            class MLP:
                """A stack of Dense layers; params, cache and grads are views of them."""

                def __init__(self, layer_sizes, activations=None, learning_rate=0.01, seed=42):
                    self.layer_sizes = list(layer_sizes)
                    self.L = len(self.layer_sizes) - 1
                    self.activations = (list(activations) if activations is not None
                                        else ["relu"] * (self.L - 1) + ["sigmoid"])
                    self.lr = learning_rate
                    rng = np.random.RandomState(seed)
                    self.layers = [Dense(rng.randn(n, n_prev) * np.sqrt(2 / n_prev), name)
                                   for n_prev, n, name in zip(self.layer_sizes, self.layer_sizes[1:], self.activations)]

                @property
                def params(self):
                    values = {}
                    for l, layer in enumerate(self.layers, start=1):
                        values[f"W{l}"], values[f"b{l}"] = layer.W, layer.b
                    return values

                @params.setter
                def params(self, values):
                    for l, layer in enumerate(self.layers, start=1):
                        layer.W, layer.b = values[f"W{l}"], values[f"b{l}"]

                @property
                def cache(self):
                    if self.layers[0].A_prev is None:
                        return {}
                    values = {"A0": self.layers[0].A_prev}
                    for l, layer in enumerate(self.layers, start=1):
                        values[f"Z{l}"], values[f"A{l}"] = layer.Z, layer.A
                    return values

                @cache.setter
                def cache(self, values):
                    for l, layer in enumerate(self.layers, start=1):
                        layer.A_prev, layer.Z, layer.A = values[f"A{l - 1}"], values[f"Z{l}"], values[f"A{l}"]

                @property
                def grads(self):
                    values = {}
                    for l, layer in enumerate(self.layers, start=1):
                        if layer.dW is not None:
                            values[f"dW{l}"], values[f"db{l}"] = layer.dW, layer.db
                    return values

                @grads.setter
                def grads(self, values):
                    for l, layer in enumerate(self.layers, start=1):
                        layer.dW, layer.db = values[f"dW{l}"], values[f"db{l}"]

                def forward(self, X):
                    A = X
                    for layer in self.layers:
                        A = layer.forward(A)
                    return A

                def compute_loss(self, Y_pred, Y_true):
                    return binary_cross_entropy(Y_pred, Y_true)

                def backward(self, Y):
                    m = Y.shape[1]
                    dZ = self.layers[-1].A - Y
                    for index in range(self.L - 1, -1, -1):
                        layer = self.layers[index]
                        layer.dW = dZ @ layer.A_prev.T / m
                        layer.db = dZ.sum(axis=1, keepdims=True) / m
                        if index > 0:
                            dZ = (layer.W.T @ dZ) * self.layers[index - 1].slope()
                    return self.grads

                def update_parameters(self):
                    for layer in self.layers:
                        layer.W = layer.W - self.lr * layer.dW
                        layer.b = layer.b - self.lr * layer.db

                def train(self, X, Y, epochs=1000, print_every=100, verbose=True):
                    history = []
                    for epoch in range(epochs):
                        history.append(self.compute_loss(self.forward(X), Y))
                        self.backward(Y)
                        self.update_parameters()
                        if verbose and epoch % print_every == 0:
                            print("epoch", epoch, "loss", round(history[-1], 5))
                    return history

                def predict(self, X, threshold=0.5):
                    return (self.forward(X) >= threshold).astype(int)

                def evaluate(self, X, Y):
                    return float((self.predict(X) == Y).mean())
            '''),
    },
    "05_moons": {
        "make_moons": dedent('''
            def make_moons(n_samples=500, noise=0.2, seed=42):
                """The lower moon as the upper one upside down, moved by (1, 1/2)."""
                rng = np.random.RandomState(seed)
                n_upper = n_samples // 2
                n_lower = n_samples - n_upper
                t_upper, t_lower = np.linspace(0, np.pi, n_upper), np.linspace(0, np.pi, n_lower)
                upper = np.c_[np.cos(t_upper), np.sin(t_upper)]
                lower = np.array([1.0, 0.5]) - np.c_[np.cos(t_lower), np.sin(t_lower)]
                X = np.r_[upper, lower] + rng.normal(0, noise, size=(n_samples, 2))
                y = np.r_[np.zeros(n_upper, dtype=int), np.ones(n_lower, dtype=int)]
                order = rng.permutation(n_samples)
                return X[order], y[order]
            '''),
        "train_test_split": dedent('''
            def train_test_split(X, y, test_size=0.2, seed=42):
                order = np.random.RandomState(seed).permutation(len(y))
                test, train = np.split(order, [int(len(y) * test_size)])
                return X[train], X[test], y[train], y[test]
            '''),
        "standardize": dedent('''
            class Scaler:
                """Learns a mean and a std from one set, applies them to any."""

                def fit(self, X):
                    self.mean = np.average(X, axis=0)
                    self.std = np.sqrt(np.var(X, axis=0))
                    return self

                def transform(self, X):
                    return (X - self.mean) / self.std


            def standardize(X_train, X_test):
                scaler = Scaler().fit(X_train)
                return scaler.transform(X_train), scaler.transform(X_test), scaler.mean, scaler.std
            '''),
        "plot_decision_boundary": dedent('''
            def plot_decision_boundary(model, X, y, mean, std, title="Decision boundary"):
                """A 0.01-step grid, sent through the model in chunks; 25 filled levels."""
                xs = np.arange(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5, 0.01)
                ys = np.arange(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5, 0.01)
                grid_x, grid_y = np.meshgrid(xs, ys)
                points = ((np.c_[grid_x.ravel(), grid_y.ravel()] - mean) / std).T
                chunks = [np.asarray(model.forward(chunk)) for chunk in np.array_split(points, 8, axis=1)]
                probability = np.hstack(chunks).reshape(grid_x.shape)
                fig, ax = plt.subplots()
                ax.contourf(grid_x, grid_y, probability, levels=25, cmap="viridis")
                ax.contour(grid_x, grid_y, probability, levels=[0.5], colors="white", linestyles="dashed")
                for label, marker in ((0, "o"), (1, "s")):
                    ax.scatter(X[y == label, 0], X[y == label, 1], marker=marker, edgecolors="k")
                return fig
            '''),
    },
    "06_extensions": {
        "softmax": dedent('''
            def softmax(z):
                """exp(z - logsumexp(z)), column by column."""
                shifted = z - z.max(axis=0)
                return np.exp(shifted - np.log(np.exp(shifted).sum(axis=0)))
            '''),
        "one_hot": dedent('''
            def one_hot(y, n_classes):
                return np.eye(n_classes)[:, np.asarray(y).ravel().astype(int)]
            '''),
        "categorical_cross_entropy": dedent('''
            def categorical_cross_entropy(Y_hat, Y):
                eps = np.finfo(float).eps
                return float(-np.sum(Y * np.log(np.clip(Y_hat, eps, 1.0))) / Y.shape[1])
            '''),
        "l2_penalty": dedent('''
            def l2_penalty(params, l2_lambda, m):
                return float(l2_lambda / (2 * m) * sum(np.vdot(W, W) for name, W in params.items() if name[0] == "W"))
            '''),
        "l2_gradient": dedent('''
            def l2_gradient(W, l2_lambda, m):
                return np.multiply(l2_lambda / m, W)
            '''),
        "momentum": dedent('''
            class Optimizer:
                """What the three optimisers share: per-parameter state, made at the first step."""

                @staticmethod
                def state(table, name, like):
                    if name not in table:
                        table[name] = np.zeros(np.shape(like))
                    return table[name]


            class Momentum(Optimizer):
                def __init__(self, beta=0.9):
                    self.beta = beta
                    self.velocity = {}

                def step(self, params, grads, learning_rate):
                    for name, value in params.items():
                        v = self.state(self.velocity, name, value)
                        v *= self.beta
                        v += (1 - self.beta) * grads["d" + name]
                        value -= learning_rate * v
            '''),
        "rmsprop": dedent('''
            class RMSprop(Optimizer):
                def __init__(self, rho=0.9, epsilon=1e-8):
                    self.rho = rho
                    self.epsilon = epsilon
                    self.mean_square = {}

                def step(self, params, grads, learning_rate):
                    for name, value in params.items():
                        g = grads["d" + name]
                        s = self.state(self.mean_square, name, value)
                        s *= self.rho
                        s += (1 - self.rho) * g ** 2
                        value -= learning_rate * g / (np.sqrt(s) + self.epsilon)
            '''),
        "adam": dedent('''
            class Adam(Optimizer):
                def __init__(self, beta1=0.9, beta2=0.999, epsilon=1e-8):
                    self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
                    self.t = 0
                    self.first, self.second = {}, {}

                def step(self, params, grads, learning_rate):
                    self.t += 1
                    for name, value in params.items():
                        g = grads["d" + name]
                        m, v = self.state(self.first, name, value), self.state(self.second, name, value)
                        m *= self.beta1
                        m += (1 - self.beta1) * g
                        v *= self.beta2
                        v += (1 - self.beta2) * g ** 2
                        m_hat, v_hat = m / (1 - self.beta1 ** self.t), v / (1 - self.beta2 ** self.t)
                        value -= learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)
            '''),
        "inverse_time_decay": dedent('''
            def inverse_time_decay(learning_rate, epoch, decay_rate):
                return learning_rate * (1.0 / (1.0 + decay_rate * epoch))
            '''),
        "make_circles": dedent('''
            def make_circles(n_samples=500, noise=0.1, factor=0.5, seed=42):
                rng = np.random.RandomState(seed)
                sizes = (n_samples // 2, n_samples - n_samples // 2)
                rings = [radius * np.c_[np.cos(2 * np.pi * np.arange(k) / k), np.sin(2 * np.pi * np.arange(k) / k)]
                         for radius, k in zip((1.0, factor), sizes)]
                X = np.vstack(rings) + rng.normal(0, noise, size=(n_samples, 2))
                y = np.repeat([0, 1], sizes)
                order = rng.permutation(n_samples)
                return X[order], y[order]
            '''),
    },
}
