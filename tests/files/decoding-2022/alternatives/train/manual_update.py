def train(net, loss_fn, train_data, train_labels, n_epochs=50, learning_rate=1e-4):
    """Gradient descent written out by hand, without an optimizer."""
    train_loss = []
    for epoch in range(n_epochs):
        loss = loss_fn(net(train_data), train_labels)
        for p in net.parameters():
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in net.parameters():
                p -= learning_rate * p.grad
        train_loss.append(float(loss.detach()))
        if (epoch + 1) % max(1, n_epochs // 5) == 0:
            print(f'epoch {epoch + 1}: {train_loss[-1]:.3f}')
    return train_loss
