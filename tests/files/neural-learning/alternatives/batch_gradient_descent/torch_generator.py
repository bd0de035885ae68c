def batch_gradient_descent(X, y, eta, T, m, seed=0):
    '''Mini-batch gradient descent, batches drawn with a seeded torch generator.'''
    gen = torch.Generator().manual_seed(seed)
    N, d = X.shape
    w = np.zeros(d)
    W, batches = [w], []
    for t in range(T):
        batch = torch.randperm(N, generator=gen)[:m].numpy()
        grad_estimate = sum(grad_loss_i(w, X[i], y[i]) for i in batch) * N / m
        w = w - eta * grad_estimate
        W.append(w)
        batches.append(batch)
    return np.stack(W), np.stack(batches)
