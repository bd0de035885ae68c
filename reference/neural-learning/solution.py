"""Reference solutions for `neural-learning` (trusted side only; never sent to a kernel).

The exercise functions are the completed cells of the student notebook, in the
lab's own form (`gradient_descent` prints one `loss = ...` line per iteration and
plots the final separator). The helpers at the end repeat the same arithmetic
without printing or plotting, for the hidden tests.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch


# -- helpers the notebook gives --------------------------------------------------

def sigmoid(x):
    return 1/(1+np.exp(-1*x))


def grad_sigmoid(x):
    return sigmoid(x) * (1-sigmoid(x))


def plot_perceptron(ax, X, y, w):
    pos_points = X[np.where(y==1)[0]]
    neg_points = X[np.where(y==0)[0]]
    ax.scatter(pos_points[:, 1], pos_points[:, 2], color='blue')
    ax.scatter(neg_points[:, 1], neg_points[:, 2], color='red')
    xx = np.linspace(-6,6)
    yy = -w[0]/w[2] - w[1]/w[2] * xx
    ax.plot(xx, yy, color='orange')

    ratio = (w[2]/w[1] + w[1]/w[2])
    xpt = (-1*w[0] / w[2]) * 1/ratio
    ypt = (-1*w[0] / w[1]) * 1/ratio

    ax.arrow(xpt, ypt, w[1], w[2], head_width=0.2, color='orange')
    ax.axis('equal')


def func2(x):
    t = x**2 + np.exp(x**2)
    return np.sqrt(t) + np.cos(t)


# -- exercises -------------------------------------------------------------------

def loss_i(w, x_i, y_i):
    '''cross entropy loss for i-th data point'''
    p_i = sigmoid(w @ x_i)
    return -(y_i * np.log(p_i) + (1 - y_i) * np.log(1 - p_i))


def grad_loss_i(w, x_i, y_i):
    '''grad loss for i-th data point'''
    p_i = sigmoid(w @ x_i)
    return -(y_i - p_i) * x_i


def gradient_descent(X, y, eta, T):
    N = X.shape[0]
    w = np.array([0,0,0]) # init w
    for t in range(T):
        loss = 0
        grad_loss = 0
        for i in range(N):
            loss += loss_i(w, X[i], y[i])
            grad_loss += grad_loss_i(w, X[i], y[i])
        print(f"loss = {loss}")
        w = w - eta * grad_loss
    fig, ax = plt.subplots()
    plot_perceptron(ax, X, y, w)
    plt.show()
    plt.close(fig)


def batch_gradient_descent(X, y, eta, T, m, seed=0):
    '''
    Mini-batch gradient descent for the linear unit.

    Args:
      X: array of shape (N, d), one data point per row (the first column is all ones)
      y: array of shape (N, 1), the labels (0 or 1)
      eta: float, the step size
      T: int, the number of updates
      m: int, the batch size (1 <= m <= N)
      seed: int, seeds the generator that draws the batches

    Returns:
      W: array of shape (T + 1, d); W[0] is the starting point (all zeros) and
         W[t] the weights after t updates
      batches: int array of shape (T, m); batches[t] holds the indices of the
         points that update t + 1 used
    '''
    rng = np.random.default_rng(seed)
    N, d = X.shape
    w = np.zeros(d)
    W = [w]
    batches = []
    for t in range(T):
        # 1. draw m distinct indices out of 0, ..., N - 1 with rng
        batch = rng.choice(N, size=m, replace=False)
        # 2. estimate the full gradient (a sum over all N points) from the batch
        grad_estimate = (N / m) * sum(grad_loss_i(w, X[i], y[i]) for i in batch)
        # 3. take one step of size eta against the estimate
        w = w - eta * grad_estimate
        W.append(w)
        batches.append(batch)
    return np.array(W), np.array(batches)


def grad_func2(x):
    t1 = x**2 + np.exp(x**2)
    t2 = 2*x + 2*x*np.exp(x**2)
    return t2 * (1/(2*np.sqrt(t1)) - np.sin(t1))


def sequential_func2(x):
    inp = torch.tensor([[x]], dtype=torch.float64, requires_grad=True)
    a = torch.pow(inp, 2)
    b = torch.exp(a)
    c = a + b
    d = torch.sqrt(c)
    e = torch.cos(c)
    f = d + e
    f.backward()
    return inp.grad.item()


# -- helpers for the hidden tests --------------------------------------------------

def two_clusters(rng, n, d=2):
    """2n labelled points from two overlapping Gaussian clusters, like the notebook's generate_data.

    Drawn from the numpy Generator ``rng``; X has a leading column of ones and y
    has shape (2n, 1), as in the lab.
    """
    means = rng.uniform(-1.0, 2.5, size=(2, d))
    mixing = rng.uniform(0.0, 1.0, size=(2, d, d))  # each cluster's covariance is S^T S
    points = [rng.standard_normal((n, d)) @ mixing[k] + means[k] for k in range(2)]
    X = np.column_stack([np.ones(2 * n), np.concatenate(points)])
    y = np.concatenate([np.ones(n), np.zeros(n)]).reshape(-1, 1)
    order = rng.permutation(2 * n)
    return X[order], y[order]


def safe_step(X, scale=1.0):
    """A step size of ``scale / L``, L the smoothness constant of the summed loss (largest eigenvalue of X^T X / 4)."""
    return scale / (np.linalg.eigvalsh(X.T @ X).max() / 4)


def full_gradient(w, X, y, grad=grad_loss_i):
    """The summed gradient over all points, in the order gradient_descent adds it up."""
    total = 0
    for i in range(X.shape[0]):
        total = total + grad(w, X[i], y[i])
    return total


def weight_history(X, y, eta, T, grad=grad_loss_i):
    """The weights w_0 = 0, w_1, ..., w_T of T full gradient-descent updates, shape (T + 1, d)."""
    w = np.zeros(X.shape[1])
    history = [w]
    for _ in range(T):
        w = w - eta * full_gradient(w, X, y, grad)
        history.append(w)
    return np.array(history)


def descent_losses(X, y, eta, T, loss=loss_i, grad=grad_loss_i):
    """Yield the T losses gradient_descent prints, one at a time (the caller may stop early)."""
    w = np.zeros(X.shape[1])
    for t in range(T):
        total = 0
        for i in range(X.shape[0]):
            total = total + loss(w, X[i], y[i])
        yield float(np.asarray(total, dtype=np.float64).reshape(-1)[0]) if np.size(total) == 1 else float("nan")
        if t + 1 < T:
            w = w - eta * full_gradient(w, X, y, grad)
