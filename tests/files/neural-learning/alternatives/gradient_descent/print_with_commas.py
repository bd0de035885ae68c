def gradient_descent(X, y, eta, T):
    N = X.shape[0]
    w = np.array([0.0, 0.0, 0.0])
    t = 0
    while t < T:
        loss, grad_loss = 0.0, np.zeros_like(w)
        for x_i, y_i in zip(X, y):
            loss = loss + loss_i(w, x_i, y_i)
            grad_loss = grad_loss + grad_loss_i(w, x_i, y_i)
        print("loss =", loss)
        w = w - eta * grad_loss
        t += 1
    fig, ax = plt.subplots()
    plot_perceptron(ax, X, y, w)
    plt.show()
    plt.close(fig)
