def train(net, loss_fn, train_data, train_labels, n_epochs=50, learning_rate=1e-4):
    optimizer = optim.SGD(net.parameters(), lr=learning_rate)
    net.zero_grad()
    train_loss = []
    for i in range(n_epochs):
        loss = loss_fn(net(train_data), train_labels)
        loss.backward()
        optimizer.step()
        net.zero_grad(set_to_none=True)  # ready for the next epoch
        train_loss.append(loss.item())
    return train_loss
