def gradient_descent(X, y, eta, T):
    N = X.shape[0]
    w = np.zeros(3)
    for t in range(T):
        losses = [loss_i(w, X[i], y[i]) for i in range(N)]
        grads = [grad_loss_i(w, X[i], y[i]) for i in range(N)]
        print(f"iteration {t + 1:3d} of {T}: loss = {float(np.sum(losses)):.12e}")
        w -= eta * np.sum(grads, axis=0)
    fig, ax = plt.subplots()
    plot_perceptron(ax, X, y, w)
    plt.show()
    plt.close(fig)
