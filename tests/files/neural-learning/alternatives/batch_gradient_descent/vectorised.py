def batch_gradient_descent(X, y, eta, T, m, seed=0):
    '''Mini-batch gradient descent, with the batch gradient in matrix form.'''
    rng = np.random.default_rng(seed)
    N, d = X.shape
    w = np.zeros(d)
    W = [w]
    batches = []
    for t in range(T):
        batch = rng.permutation(N)[:m]
        Xb, yb = X[batch], y[batch].ravel()
        grad_estimate = (N / m) * Xb.T @ (sigmoid(Xb @ w) - yb)
        w = w - eta * grad_estimate
        W.append(w)
        batches.append(batch)
    return np.array(W), np.array(batches)
