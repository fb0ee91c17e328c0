"""Vectorised one-liners: the sigmoid through tanh (no clipping needed),
losses returned as 0-d arrays, Keras' eps = 1e-7 (and 1e-6 for the
categorical loss), lists where tuples are asked, its own print format, an
image of the probabilities on a 150 x 150 grid."""
from textwrap import dedent

STYLE = ("vectorised one-liners, sigmoid = (1 + tanh(z/2)) / 2, 0-d array losses, eps = 1e-7 and 1e-6, lists for "
         "tuples, own print format, imshow on a 150 x 150 grid")

TIE_RULE = "(self.forward(X) >= threshold)"

ANSWERS = {
    "01_activations": {
        "sigmoid": dedent('''
            def sigmoid(z):
                return 0.5 * (1.0 + np.tanh(0.5 * z))
            '''),
        "sigmoid_derivative": dedent('''
            def sigmoid_derivative(z):
                return (lambda s: s * (1.0 - s))(sigmoid(z))
            '''),
        "tanh": dedent('''
            def tanh(z):
                return np.tanh(z)
            '''),
        "tanh_derivative": dedent('''
            def tanh_derivative(z):
                return 1.0 - np.tanh(z) ** 2
            '''),
        "relu": dedent('''
            def relu(z):
                return z * (z > 0)
            '''),
        "relu_derivative": dedent('''
            def relu_derivative(z):
                return (z > 0) * 1.0
            '''),
    },
    "02_forward_pass": {
        "layer_forward": dedent('''
            def layer_forward(a_prev, W, b, activation):
                z = W @ a_prev + b
                return [z, get_activation(activation)(z)]
            '''),
        "forward": dedent('''
            def forward(x, params, activations):
                cache = {"A0": x}
                for l, name in enumerate(activations, start=1):
                    cache[f"Z{l}"], cache[f"A{l}"] = layer_forward(cache[f"A{l - 1}"], params[f"W{l}"], params[f"b{l}"], name)
                return cache[f"A{len(activations)}"], cache
            '''),
        "count_parameters": dedent('''
            def count_parameters(layer_sizes):
                return int(np.dot(layer_sizes[1:], np.add(layer_sizes[:-1], 1)))
            '''),
    },
    "03_backprop": {
        "binary_cross_entropy": dedent('''
            def binary_cross_entropy(y_hat, y):
                """A 0-d array; eps = 1e-7 as in Keras."""
                p = np.clip(y_hat, 1e-7, 1 - 1e-7)
                return np.squeeze(-(y @ np.log(p).T + (1 - y) @ np.log(1 - p).T) / y.shape[1])
            '''),
        "backward": dedent('''
            def backward(y, params, cache, activations):
                L, m = len(activations), y.shape[1]
                grads, delta = {}, cache[f"A{L}"] - y
                for l in range(L, 0, -1):
                    grads[f"dW{l}"], grads[f"db{l}"] = delta @ cache[f"A{l - 1}"].T / m, delta.sum(1, keepdims=True) / m
                    delta = (params[f"W{l}"].T @ delta) * DERIVATIVES[activations[l - 2]](cache[f"Z{l - 1}"]) if l > 1 else None
                return grads
            '''),
        "update_parameters": dedent('''
            def update_parameters(params, grads, learning_rate):
                return {k: v - learning_rate * grads["d" + k] for k, v in params.items()}
            '''),
    },
    "04_mlp_class": {
        "mlp_class": dedent('''
            class MLP:
                def __init__(self, layer_sizes, activations=None, learning_rate=0.01, seed=42):
                    self.layer_sizes, self.L = list(layer_sizes), len(layer_sizes) - 1
                    self.activations = list(activations or ["relu"] * (self.L - 1) + ["sigmoid"])
                    self.lr = learning_rate
                    rng = np.random.RandomState(seed)
                    self.params = {}
                    for l, (p, n) in enumerate(zip(self.layer_sizes, self.layer_sizes[1:]), start=1):
                        self.params.update({f"W{l}": rng.randn(n, p) * np.sqrt(2 / p), f"b{l}": np.zeros((n, 1))})
                    self.grads, self.cache = {}, {}

                def forward(self, X):
                    self.cache = {"A0": X}
                    for l, name in enumerate(self.activations, start=1):
                        self.cache[f"Z{l}"] = self.params[f"W{l}"] @ self.cache[f"A{l - 1}"] + self.params[f"b{l}"]
                        self.cache[f"A{l}"] = ACTIVATIONS[name](self.cache[f"Z{l}"])
                    return self.cache[f"A{self.L}"]

                def compute_loss(self, Y_pred, Y_true):
                    p = np.clip(Y_pred, 1e-7, 1 - 1e-7)
                    return np.squeeze(-(Y_true @ np.log(p).T + (1 - Y_true) @ np.log(1 - p).T) / Y_true.shape[1])

                def backward(self, Y):
                    m, dZ = Y.shape[1], self.cache[f"A{self.L}"] - Y
                    self.grads = {}
                    for l in range(self.L, 0, -1):
                        self.grads[f"dW{l}"] = dZ @ self.cache[f"A{l - 1}"].T / m
                        self.grads[f"db{l}"] = dZ.sum(axis=1, keepdims=True) / m
                        if l > 1:
                            dZ = self.params[f"W{l}"].T @ dZ * DERIVATIVES[self.activations[l - 2]](self.cache[f"Z{l - 1}"])
                    return self.grads

                def update_parameters(self):
                    self.params = {k: v - self.lr * self.grads["d" + k] for k, v in self.params.items()}

                def train(self, X, Y, epochs=1000, print_every=100, verbose=True):
                    losses = []
                    for epoch in range(epochs):
                        losses.append(self.compute_loss(self.forward(X), Y))
                        self.backward(Y)
                        self.update_parameters()
                        if verbose and (epoch + 1) % print_every == 0:
                            print(f"[{epoch + 1}/{epochs}] loss {float(losses[-1]):.4f}")
                    return losses

                def predict(self, X, threshold=0.5):
                    return ''' + TIE_RULE + '''.astype(int)

                def evaluate(self, X, Y):
                    return np.mean(self.predict(X) == Y)
            '''),
    },
    "05_moons": {
        "make_moons": dedent('''
            def make_moons(n_samples=500, noise=0.2, seed=42):
                rng = np.random.RandomState(seed)
                n_upper = n_samples // 2
                t, u = np.linspace(0, np.pi, n_upper), np.linspace(0, np.pi, n_samples - n_upper)
                X = np.concatenate([np.stack([np.cos(t), np.sin(t)], 1), np.stack([1 - np.cos(u), 0.5 - np.sin(u)], 1)])
                X = X + rng.normal(0, noise, size=X.shape)
                y = np.concatenate([np.zeros(len(t)), np.ones(len(u))]).astype(int)
                order = rng.permutation(n_samples)
                return X[order], y[order]
            '''),
        "train_test_split": dedent('''
            def train_test_split(X, y, test_size=0.2, seed=42):
                order, k = np.random.RandomState(seed).permutation(len(y)), int(len(y) * test_size)
                return [X[order[k:]], X[order[:k]], y[order[k:]], y[order[:k]]]
            '''),
        "standardize": dedent('''
            def standardize(X_train, X_test):
                mean, std = X_train.mean(0), X_train.std(0)
                return (X_train - mean) / std, (X_test - mean) / std, mean, std
            '''),
        "plot_decision_boundary": dedent('''
            def plot_decision_boundary(model, X, y, mean, std, title="Decision boundary"):
                """An image of the probabilities on a 150 x 150 grid, a margin of 0.25."""
                low, high = X.min(0) - 0.25, X.max(0) + 0.25
                gx, gy = np.meshgrid(np.linspace(low[0], high[0], 150), np.linspace(low[1], high[1], 150))
                P = np.asarray(model.forward(((np.stack([gx.ravel(), gy.ravel()], 1) - mean) / std).T)).reshape(gx.shape)
                fig = plt.figure()
                ax = fig.add_subplot()
                ax.imshow(P, origin="lower", extent=(low[0], high[0], low[1], high[1]), aspect="auto", cmap="RdBu")
                ax.contour(gx, gy, P, levels=[0.5])
                ax.scatter(*X.T, c=y, s=8)
                ax.set_title(title)
                return fig
            '''),
    },
    "06_extensions": {
        "softmax": dedent('''
            def softmax(z):
                e = np.exp(z - z.max(axis=0, keepdims=True))
                return e / e.sum(axis=0, keepdims=True)
            '''),
        "one_hot": dedent('''
            def one_hot(y, n_classes):
                return (np.arange(n_classes)[:, None] == np.ravel(y)[None, :]).astype(float)
            '''),
        "categorical_cross_entropy": dedent('''
            def categorical_cross_entropy(Y_hat, Y):
                """A 0-d array; eps = 1e-6."""
                return np.asarray(-np.sum(Y * np.log(np.clip(Y_hat, 1e-6, 1 - 1e-6))) / Y.shape[1])
            '''),
        "l2_penalty": dedent('''
            def l2_penalty(params, l2_lambda, m):
                return l2_lambda / (2 * m) * sum(float((W ** 2).sum()) for k, W in params.items() if k.startswith("W"))
            '''),
        "l2_gradient": dedent('''
            def l2_gradient(W, l2_lambda, m):
                return l2_lambda * W / m
            '''),
        "momentum": dedent('''
            class Momentum:
                def __init__(self, beta=0.9):
                    self.beta, self.velocity = beta, {}

                def step(self, params, grads, learning_rate):
                    for k, v in params.items():
                        self.velocity[k] = self.beta * self.velocity.get(k, 0.0) + (1 - self.beta) * grads["d" + k]
                        v -= learning_rate * self.velocity[k]
            '''),
        "rmsprop": dedent('''
            class RMSprop:
                def __init__(self, rho=0.9, epsilon=1e-8):
                    self.rho, self.epsilon, self.mean_square = rho, epsilon, {}

                def step(self, params, grads, learning_rate):
                    for k, v in params.items():
                        g = grads["d" + k]
                        self.mean_square[k] = self.rho * self.mean_square.get(k, 0.0) + (1 - self.rho) * g * g
                        v -= learning_rate * g / (np.sqrt(self.mean_square[k]) + self.epsilon)
            '''),
        "adam": dedent('''
            class Adam:
                def __init__(self, beta1=0.9, beta2=0.999, epsilon=1e-8):
                    self.beta1, self.beta2, self.epsilon, self.t, self.first, self.second = beta1, beta2, epsilon, 0, {}, {}

                def step(self, params, grads, learning_rate):
                    self.t += 1
                    for k, v in params.items():
                        g = grads["d" + k]
                        self.first[k] = self.beta1 * self.first.get(k, 0.0) + (1 - self.beta1) * g
                        self.second[k] = self.beta2 * self.second.get(k, 0.0) + (1 - self.beta2) * g * g
                        m_hat = self.first[k] / (1 - self.beta1 ** self.t)
                        v_hat = self.second[k] / (1 - self.beta2 ** self.t)
                        v -= learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)
            '''),
        "inverse_time_decay": dedent('''
            def inverse_time_decay(learning_rate, epoch, decay_rate):
                return learning_rate / (1 + decay_rate * epoch)
            '''),
        "make_circles": dedent('''
            def make_circles(n_samples=500, noise=0.1, factor=0.5, seed=42):
                rng, n_outer = np.random.RandomState(seed), n_samples // 2
                ring = lambda k, r: r * np.stack([np.cos(np.linspace(0, 2 * np.pi, k, endpoint=False)),
                                                  np.sin(np.linspace(0, 2 * np.pi, k, endpoint=False))], 1)
                X = np.concatenate([ring(n_outer, 1.0), ring(n_samples - n_outer, factor)])
                X = X + rng.normal(0, noise, size=X.shape)
                y = np.concatenate([np.zeros(n_outer, int), np.ones(n_samples - n_outer, int)])
                order = rng.permutation(n_samples)
                return X[order], y[order]
            '''),
    },
}
