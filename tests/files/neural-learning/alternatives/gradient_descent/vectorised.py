def gradient_descent(X, y, eta, T):
    w = np.zeros(X.shape[1])
    labels = y.ravel()
    for t in range(T):
        p = sigmoid(X @ w)
        loss = -np.sum(labels * np.log(p) + (1 - labels) * np.log(1 - p))
        print(f"loss = {loss}")
        w = w - eta * X.T @ (p - labels)
    fig, ax = plt.subplots()
    plot_perceptron(ax, X, y, w)
    plt.show()
    plt.close(fig)
