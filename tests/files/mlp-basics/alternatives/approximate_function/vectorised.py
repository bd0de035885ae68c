def approximate_function(x_train, y_train):
    """Piecewise-linear fit as a sum of ReLUs, without Python loops."""
    x_flat = x_train.view(-1)
    y_flat = y_train.view(-1)
    x = torch.linspace(x_flat.min(), x_flat.max(), 1000)

    # One ReLU per training point but the last, switching on at that point
    relu_acts = torch.relu(x.unsqueeze(0) - x_flat[:-1].unsqueeze(1))

    # Each weight is the change of slope at its point
    slopes = torch.diff(y_flat) / torch.diff(x_flat)
    combination_weights = torch.diff(slopes, prepend=torch.zeros(1))

    y_hat = relu_acts.T @ combination_weights
    return y_hat, relu_acts, x
