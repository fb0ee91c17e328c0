"""Per-sample and per-element Python loops everywhere (``math`` on scalars),
eps = 1e-12 in the loss, a 100 x 100 grid with a margin of 1, the points
drawn one class at a time."""
from textwrap import dedent

STYLE = "per-sample and per-element loops, math on scalars, eps = 1e-12, 100 x 100 grid, one scatter per class"

RELU_PRIME = "1.0 if z[index] > 0 else 0.0"
RELU_PRIME_MLP = "out[k] = 1.0 if value > 0 else 0.0"

ANSWERS = {
    "01_activations": {
        "sigmoid": dedent('''
            import math


            def sigmoid(z):
                """Logistic sigmoid, element by element."""
                z = np.asarray(z, dtype=float)
                a = np.empty_like(z)
                for index in np.ndindex(z.shape):
                    value = min(max(z[index], -500.0), 500.0)
                    a[index] = 1.0 / (1.0 + math.exp(-value))
                return a
            '''),
        "sigmoid_derivative": dedent('''
            def sigmoid_derivative(z):
                """sigmoid(z) * (1 - sigmoid(z)), element by element."""
                s = sigmoid(z)
                out = np.empty_like(s)
                for index in np.ndindex(s.shape):
                    out[index] = s[index] * (1.0 - s[index])
                return out
            '''),
        "tanh": dedent('''
            def tanh(z):
                """Hyperbolic tangent, element by element."""
                z = np.asarray(z, dtype=float)
                a = np.empty_like(z)
                for index in np.ndindex(z.shape):
                    a[index] = math.tanh(z[index])
                return a
            '''),
        "tanh_derivative": dedent('''
            def tanh_derivative(z):
                """1 - tanh(z)**2, element by element."""
                z = np.asarray(z, dtype=float)
                out = np.empty_like(z)
                for index in np.ndindex(z.shape):
                    out[index] = 1.0 - math.tanh(z[index]) ** 2
                return out
            '''),
        "relu": dedent('''
            def relu(z):
                """max(0, z), element by element."""
                z = np.asarray(z, dtype=float)
                a = np.empty_like(z)
                for index in np.ndindex(z.shape):
                    a[index] = z[index] if z[index] > 0 else 0.0
                return a
            '''),
        "relu_derivative": dedent('''
            def relu_derivative(z):
                """1.0 where z > 0, else 0.0."""
                z = np.asarray(z, dtype=float)
                out = np.empty_like(z)
                for index in np.ndindex(z.shape):
                    out[index] = ''' + RELU_PRIME + '''
                return out
            '''),
    },
    "02_forward_pass": {
        "layer_forward": dedent('''
            def layer_forward(a_prev, W, b, activation):
                """z = W a_prev + b with explicit sums, then the activation."""
                n, n_prev = W.shape
                m = a_prev.shape[1]
                z = np.zeros((n, m))
                for j in range(n):
                    for i in range(m):
                        total = b[j, 0]
                        for p in range(n_prev):
                            total += W[j, p] * a_prev[p, i]
                        z[j, i] = total
                a = get_activation(activation)(z)
                return z, a
            '''),
        "forward": dedent('''
            def forward(x, params, activations):
                """Layer after layer, keeping every Z and A."""
                cache = {"A0": x}
                a = x
                for l in range(1, len(activations) + 1):
                    z, a = layer_forward(a, params["W" + str(l)], params["b" + str(l)], activations[l - 1])
                    cache["Z" + str(l)] = z
                    cache["A" + str(l)] = a
                return a, cache
            '''),
        "count_parameters": dedent('''
            def count_parameters(layer_sizes):
                """Weights and biases, counted layer by layer."""
                total = 0
                for l in range(1, len(layer_sizes)):
                    for unit in range(layer_sizes[l]):
                        total += layer_sizes[l - 1] + 1
                return total
            '''),
    },
    "03_backprop": {
        "binary_cross_entropy": dedent('''
            import math


            def binary_cross_entropy(y_hat, y):
                """The mean loss, one sample at a time, with eps = 1e-12."""
                eps = 1e-12
                m = y.shape[1]
                total = 0.0
                for i in range(m):
                    p = min(max(float(y_hat[0, i]), eps), 1.0 - eps)
                    total -= y[0, i] * math.log(p) + (1.0 - y[0, i]) * math.log(1.0 - p)
                return total / m
            '''),
        "backward": dedent('''
            def backward(y, params, cache, activations):
                """Gradients accumulated one sample at a time, then averaged."""
                L = len(activations)
                m = y.shape[1]
                grads = {}
                for l in range(1, L + 1):
                    grads["dW" + str(l)] = np.zeros(params["W" + str(l)].shape)
                    grads["db" + str(l)] = np.zeros(params["b" + str(l)].shape)
                for i in range(m):
                    delta = cache["A" + str(L)][:, i:i + 1] - y[:, i:i + 1]
                    for l in range(L, 0, -1):
                        grads["dW" + str(l)] += delta @ cache["A" + str(l - 1)][:, i:i + 1].T
                        grads["db" + str(l)] += delta
                        if l > 1:
                            slope = DERIVATIVES[activations[l - 2]](cache["Z" + str(l - 1)][:, i:i + 1])
                            delta = (params["W" + str(l)].T @ delta) * slope
                for key in grads:
                    grads[key] = grads[key] / m
                return grads
            '''),
        "update_parameters": dedent('''
            def update_parameters(params, grads, learning_rate):
                """A new dict; every entry updated one number at a time."""
                new_params = {}
                for name, value in params.items():
                    new = np.array(value, dtype=float)
                    gradient = grads["d" + name]
                    for index in np.ndindex(new.shape):
                        new[index] = new[index] - learning_rate * gradient[index]
                    new_params[name] = new
                return new_params
            '''),
    },
    "04_mlp_class": {
        "mlp_class": dedent('''
            import math


            class MLP:
                """The network, with its passes written one sample at a time."""

                def __init__(self, layer_sizes, activations=None, learning_rate=0.01, seed=42):
                    self.layer_sizes = list(layer_sizes)
                    self.L = len(self.layer_sizes) - 1
                    if activations is None:
                        activations = ["relu"] * (self.L - 1) + ["sigmoid"]
                    self.activations = list(activations)
                    self.lr = learning_rate
                    rng = np.random.RandomState(seed)
                    self.params = {}
                    for l in range(1, self.L + 1):
                        n_prev, n = self.layer_sizes[l - 1], self.layer_sizes[l]
                        self.params["W" + str(l)] = rng.randn(n, n_prev) * math.sqrt(2.0 / n_prev)
                        self.params["b" + str(l)] = np.zeros((n, 1))
                    self.grads = {}
                    self.cache = {}

                def forward(self, X):
                    m = X.shape[1]
                    self.cache = {"A0": X}
                    A = X
                    for l in range(1, self.L + 1):
                        W, b = self.params["W" + str(l)], self.params["b" + str(l)]
                        Z = np.zeros((W.shape[0], m))
                        for i in range(m):
                            Z[:, i] = W @ A[:, i] + b[:, 0]
                        A = ACTIVATIONS[self.activations[l - 1]](Z)
                        self.cache["Z" + str(l)] = Z
                        self.cache["A" + str(l)] = A
                    return A

                def compute_loss(self, Y_pred, Y_true):
                    eps = 1e-12
                    m = Y_true.shape[1]
                    total = 0.0
                    for i in range(m):
                        p = min(max(float(Y_pred[0, i]), eps), 1.0 - eps)
                        total -= Y_true[0, i] * math.log(p) + (1.0 - Y_true[0, i]) * math.log(1.0 - p)
                    return total / m

                def _slope(self, name, z):
                    """g'(z) of one column, element by element."""
                    out = np.empty(z.shape)
                    for k, value in enumerate(z):
                        if name == "sigmoid":
                            s = 1.0 / (1.0 + math.exp(-min(max(value, -500.0), 500.0)))
                            out[k] = s * (1.0 - s)
                        elif name == "tanh":
                            out[k] = 1.0 - math.tanh(value) ** 2
                        else:
                            ''' + RELU_PRIME_MLP + '''
                    return out

                def backward(self, Y):
                    m = Y.shape[1]
                    self.grads = {}
                    for l in range(1, self.L + 1):
                        self.grads["dW" + str(l)] = np.zeros(self.params["W" + str(l)].shape)
                        self.grads["db" + str(l)] = np.zeros(self.params["b" + str(l)].shape)
                    for i in range(m):
                        dz = self.cache["A" + str(self.L)][:, i] - Y[:, i]
                        for l in range(self.L, 0, -1):
                            a_prev = self.cache["A" + str(l - 1)][:, i]
                            self.grads["dW" + str(l)] += np.outer(dz, a_prev) / m
                            self.grads["db" + str(l)] += dz.reshape(-1, 1) / m
                            if l > 1:
                                slope = self._slope(self.activations[l - 2], self.cache["Z" + str(l - 1)][:, i])
                                dz = (self.params["W" + str(l)].T @ dz) * slope
                    return self.grads

                def update_parameters(self):
                    for name in list(self.params):
                        new = np.array(self.params[name], dtype=float)
                        gradient = self.grads["d" + name]
                        for index in np.ndindex(new.shape):
                            new[index] -= self.lr * gradient[index]
                        self.params[name] = new

                def train(self, X, Y, epochs=1000, print_every=100, verbose=True):
                    losses = []
                    for epoch in range(epochs):
                        losses.append(self.compute_loss(self.forward(X), Y))
                        self.backward(Y)
                        self.update_parameters()
                        if verbose and (epoch % print_every == 0 or epoch == epochs - 1):
                            print(f"Epoch {epoch:5d} | Loss: {losses[-1]:.6f} | Accuracy: {self.evaluate(X, Y):.2%}")
                    return losses

                def predict(self, X, threshold=0.5):
                    probabilities = self.forward(X)
                    labels = np.zeros(probabilities.shape, dtype=int)
                    for index in np.ndindex(probabilities.shape):
                        labels[index] = 1 if probabilities[index] >= threshold else 0
                    return labels

                def evaluate(self, X, Y):
                    labels = self.predict(X)
                    right = 0
                    for index in np.ndindex(labels.shape):
                        right += int(labels[index] == Y[index])
                    return right / labels.size
            '''),
    },
    "05_moons": {
        "make_moons": dedent('''
            import math


            def make_moons(n_samples=500, noise=0.2, seed=42):
                """The two moons, point by point."""
                rng = np.random.RandomState(seed)
                n_upper = n_samples // 2
                n_lower = n_samples - n_upper
                points, labels = [], []
                for k in range(n_upper):
                    t = math.pi * k / (n_upper - 1) if n_upper > 1 else 0.0
                    points.append([math.cos(t), math.sin(t)])
                    labels.append(0)
                for k in range(n_lower):
                    t = math.pi * k / (n_lower - 1) if n_lower > 1 else 0.0
                    points.append([1.0 - math.cos(t), 0.5 - math.sin(t)])
                    labels.append(1)
                X = np.array(points) + rng.normal(0, noise, size=(n_samples, 2))
                y = np.array(labels)
                order = rng.permutation(n_samples)
                return X[order], y[order]
            '''),
        "train_test_split": dedent('''
            def train_test_split(X, y, test_size=0.2, seed=42):
                """Rows listed one by one from a seeded permutation."""
                rng = np.random.RandomState(seed)
                n = len(y)
                n_test = int(n * test_size)
                order = rng.permutation(n)
                test_rows = [int(order[k]) for k in range(n_test)]
                train_rows = [int(order[k]) for k in range(n_test, n)]
                test_rows, train_rows = np.array(test_rows, dtype=int), np.array(train_rows, dtype=int)
                return X[train_rows], X[test_rows], y[train_rows], y[test_rows]
            '''),
        "standardize": dedent('''
            import math


            def standardize(X_train, X_test):
                """Column statistics with plain sums."""
                n, d = X_train.shape
                mean = np.zeros(d)
                std = np.zeros(d)
                for j in range(d):
                    mean[j] = sum(X_train[i, j] for i in range(n)) / n
                    std[j] = math.sqrt(sum((X_train[i, j] - mean[j]) ** 2 for i in range(n)) / n)
                return (X_train - mean) / std, (X_test - mean) / std, mean, std
            '''),
        "plot_decision_boundary": dedent('''
            def plot_decision_boundary(model, X, y, mean, std, title="Decision boundary"):
                """100 x 100 grid, a margin of 1, default levels, one scatter per class."""
                xs = np.linspace(X[:, 0].min() - 1.0, X[:, 0].max() + 1.0, 100)
                ys = np.linspace(X[:, 1].min() - 1.0, X[:, 1].max() + 1.0, 100)
                grid_x, grid_y = np.meshgrid(xs, ys)
                points = np.c_[grid_x.ravel(), grid_y.ravel()]
                probability = np.asarray(model.forward(((points - mean) / std).T)).reshape(grid_x.shape)
                fig, ax = plt.subplots(figsize=(6, 5))
                ax.contourf(grid_x, grid_y, probability, cmap="coolwarm", alpha=0.6)
                ax.contour(grid_x, grid_y, probability, levels=[0.5], colors="k")
                for label, colour in ((0, "tab:red"), (1, "tab:blue")):
                    chosen = X[y == label]
                    ax.scatter(chosen[:, 0], chosen[:, 1], c=colour, label=f"class {label}", s=15)
                ax.legend()
                ax.set_title(title)
                return fig
            '''),
    },
    "06_extensions": {
        "softmax": dedent('''
            def softmax(z):
                """Column by column."""
                out = np.empty(z.shape)
                for i in range(z.shape[1]):
                    column = z[:, i] - max(z[:, i])
                    e = np.exp(column)
                    out[:, i] = e / e.sum()
                return out
            '''),
        "one_hot": dedent('''
            def one_hot(y, n_classes):
                """A column per label."""
                labels = np.asarray(y).reshape(-1).astype(int)
                Y = np.zeros((n_classes, labels.size))
                for i, k in enumerate(labels):
                    Y[k, i] = 1.0
                return Y
            '''),
        "categorical_cross_entropy": dedent('''
            import math


            def categorical_cross_entropy(Y_hat, Y):
                """Sample by sample, eps = 1e-12."""
                C, m = Y.shape
                total = 0.0
                for i in range(m):
                    for k in range(C):
                        if Y[k, i]:
                            total -= Y[k, i] * math.log(min(max(float(Y_hat[k, i]), 1e-12), 1.0 - 1e-12))
                return total / m
            '''),
        "l2_penalty": dedent('''
            def l2_penalty(params, l2_lambda, m):
                """Every weight squared, one by one."""
                total = 0.0
                for name, W in params.items():
                    if name.startswith("W"):
                        for value in W.ravel():
                            total += value * value
                return float(l2_lambda / (2 * m) * total)
            '''),
        "l2_gradient": dedent('''
            def l2_gradient(W, l2_lambda, m):
                out = np.empty(W.shape)
                for index in np.ndindex(W.shape):
                    out[index] = (l2_lambda / m) * W[index]
                return out
            '''),
        "momentum": dedent('''
            class Momentum:
                def __init__(self, beta=0.9):
                    self.beta = beta
                    self.velocity = {}

                def step(self, params, grads, learning_rate):
                    for name, value in params.items():
                        g = grads["d" + name]
                        v = self.velocity.setdefault(name, np.zeros(value.shape))
                        for index in np.ndindex(value.shape):
                            v[index] = self.beta * v[index] + (1 - self.beta) * g[index]
                            value[index] -= learning_rate * v[index]
            '''),
        "rmsprop": dedent('''
            import math


            class RMSprop:
                def __init__(self, rho=0.9, epsilon=1e-8):
                    self.rho = rho
                    self.epsilon = epsilon
                    self.mean_square = {}

                def step(self, params, grads, learning_rate):
                    for name, value in params.items():
                        g = grads["d" + name]
                        s = self.mean_square.setdefault(name, np.zeros(value.shape))
                        for index in np.ndindex(value.shape):
                            s[index] = self.rho * s[index] + (1 - self.rho) * g[index] * g[index]
                            value[index] -= learning_rate * g[index] / (math.sqrt(s[index]) + self.epsilon)
            '''),
        "adam": dedent('''
            import math


            class Adam:
                def __init__(self, beta1=0.9, beta2=0.999, epsilon=1e-8):
                    self.beta1 = beta1
                    self.beta2 = beta2
                    self.epsilon = epsilon
                    self.t = 0
                    self.first = {}
                    self.second = {}

                def step(self, params, grads, learning_rate):
                    self.t += 1
                    for name, value in params.items():
                        g = grads["d" + name]
                        m = self.first.setdefault(name, np.zeros(value.shape))
                        v = self.second.setdefault(name, np.zeros(value.shape))
                        for index in np.ndindex(value.shape):
                            m[index] = self.beta1 * m[index] + (1 - self.beta1) * g[index]
                            v[index] = self.beta2 * v[index] + (1 - self.beta2) * g[index] * g[index]
                            m_hat = m[index] / (1 - self.beta1 ** self.t)
                            v_hat = v[index] / (1 - self.beta2 ** self.t)
                            value[index] -= learning_rate * m_hat / (math.sqrt(v_hat) + self.epsilon)
            '''),
        "inverse_time_decay": dedent('''
            def inverse_time_decay(learning_rate, epoch, decay_rate):
                return learning_rate / (1.0 + decay_rate * epoch)
            '''),
        "make_circles": dedent('''
            import math


            def make_circles(n_samples=500, noise=0.1, factor=0.5, seed=42):
                """Point by point, the outer circle first."""
                rng = np.random.RandomState(seed)
                n_outer = n_samples // 2
                n_inner = n_samples - n_outer
                points, labels = [], []
                for k in range(n_outer):
                    angle = 2 * math.pi * k / n_outer
                    points.append([math.cos(angle), math.sin(angle)])
                    labels.append(0)
                for k in range(n_inner):
                    angle = 2 * math.pi * k / n_inner
                    points.append([factor * math.cos(angle), factor * math.sin(angle)])
                    labels.append(1)
                X = np.array(points) + rng.normal(0, noise, size=(n_samples, 2))
                y = np.array(labels)
                order = rng.permutation(n_samples)
                return X[order], y[order]
            '''),
    },
}
