def train(net, loss_fn, train_data, train_labels,
          n_iter=50, learning_rate=1e-4,
          test_data=None, test_labels=None,
          L2_penalty=0, L1_penalty=0):
    optimizer = optim.SGD(net.parameters(), lr=learning_rate)
    net.zero_grad()
    train_loss = []
    test_loss = []
    penalised = not (L2_penalty == 0 and L1_penalty == 0)

    def evaluate(data, labels):
        out = net(data)
        if penalised:
            return loss_fn(out, labels, net.in_layer.weight, L2_penalty, L1_penalty)
        return loss_fn(out, labels)

    for i in range(n_iter):
        loss = evaluate(train_data, train_labels)
        loss.backward()
        optimizer.step()
        net.zero_grad(set_to_none=True)  # ready for the next iteration
        train_loss.append(loss.item())
        if test_data is not None:
            with torch.no_grad():
                test_loss.append(float(evaluate(test_data, test_labels)))

    return train_loss if test_data is None else (train_loss, test_loss)
