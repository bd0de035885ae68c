def train(net, loss_fn, train_data, train_labels, n_epochs=50, learning_rate=1e-4):
    """The losses gathered in a NumPy array, returned as a list; zero_grad keeps the old buffers."""
    optimizer = torch.optim.SGD(params=net.parameters(), lr=learning_rate, momentum=0.0)
    history = np.zeros(n_epochs)
    for i in range(n_epochs):
        optimizer.zero_grad(set_to_none=False)
        out = net(train_data)
        loss = loss_fn(out, train_labels)
        loss.backward()
        optimizer.step()
        history[i] = loss.detach().item()
    return history.tolist()
