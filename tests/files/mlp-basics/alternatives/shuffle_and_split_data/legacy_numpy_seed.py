def shuffle_and_split_data(X, y, seed):
    torch.manual_seed(seed)
    np.random.seed(seed)
    N = X.shape[0]
    shuffled_indices = np.random.permutation(N)
    X = X[shuffled_indices]
    y = y[shuffled_indices]
    test_size = int(N * 0.2)
    return X[:test_size], y[:test_size], X[test_size:], y[test_size:]
