def train(net, loss_fn, train_data, train_labels,
          n_iter=50, learning_rate=1e-4,
          test_data=None, test_labels=None,
          L2_penalty=0, L1_penalty=0):
    """Gradient descent written out by hand, without an optimizer."""
    train_loss, test_loss = [], []
    for i in range(n_iter):
        out = net(train_data)
        if L2_penalty or L1_penalty:
            loss = loss_fn(out, train_labels, weights=net.in_layer.weight,
                           L2_penalty=L2_penalty, L1_penalty=L1_penalty)
        else:
            loss = loss_fn(out, train_labels)
        for p in net.parameters():
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in net.parameters():
                p -= learning_rate * p.grad
        train_loss.append(loss.item())
        if test_data is not None:
            out_test = net(test_data)
            if L2_penalty or L1_penalty:
                loss_test = loss_fn(out_test, test_labels, net.in_layer.weight, L2_penalty, L1_penalty)
            else:
                loss_test = loss_fn(out_test, test_labels)
            test_loss.append(loss_test.item())
        if (i + 1) % max(1, n_iter // 5) == 0:
            print(f'iteration {i + 1}/{n_iter} | loss: {loss.item():.3f}')
    if test_data is None:
        return train_loss
    return train_loss, test_loss
