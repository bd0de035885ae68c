def approximate_function(x_train, y_train):
    # Weights computed in float64 with NumPy; the estimate starts from y_train[0]
    xs = x_train.numpy().ravel().astype(np.float64)
    ys = y_train.numpy().ravel().astype(np.float64)
    n_relus = len(xs) - 1

    x = torch.linspace(torch.min(x_train), torch.max(x_train), 1000)
    b = -xs[:n_relus]
    relu_acts = torch.stack([torch.relu(x + float(bias)) for bias in b])

    slopes = np.diff(ys) / np.diff(xs)
    weights = np.concatenate([slopes[:1], np.diff(slopes)])
    y_hat = float(ys[0]) + torch.from_numpy(weights).float() @ relu_acts
    return y_hat, relu_acts, x
