def batch_gradient_descent(X, y, eta, T, m, seed=0):
    '''Mini-batch gradient descent with numpy's legacy global generator.'''
    np.random.seed(seed)
    N, d = X.shape
    W = np.zeros((T + 1, d))
    batches = np.zeros((T, m), dtype=int)
    for t in range(T):
        batches[t] = np.random.choice(N, m, replace=False)
        grad = np.zeros(d)
        for i in batches[t]:
            grad += grad_loss_i(W[t], X[i], y[i])
        W[t + 1] = W[t] - eta * N / m * grad
    return W, batches
