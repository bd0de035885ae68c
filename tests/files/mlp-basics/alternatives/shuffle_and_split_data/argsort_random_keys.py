def shuffle_and_split_data(X, y, seed):
    torch.manual_seed(seed)
    N = X.shape[0]
    # Sorting i.i.d. random keys gives a uniformly random permutation
    shuffled_indices = torch.argsort(torch.rand(N))
    test_size = round(0.2 * N)
    X_test, X_train = X[shuffled_indices[:test_size]], X[shuffled_indices[test_size:]]
    y_test, y_train = y[shuffled_indices[:test_size]], y[shuffled_indices[test_size:]]
    return X_test, y_test, X_train, y_train
