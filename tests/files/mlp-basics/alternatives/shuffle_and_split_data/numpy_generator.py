def shuffle_and_split_data(X, y, seed):
    N = X.shape[0]
    rng = np.random.default_rng(seed)
    shuffled_indices = torch.from_numpy(rng.permutation(N))
    X, y = X[shuffled_indices], y[shuffled_indices]
    test_size = N // 5
    return X[:test_size], y[:test_size], X[test_size:], y[test_size:]
