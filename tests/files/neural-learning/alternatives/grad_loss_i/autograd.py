def grad_loss_i(w, x_i, y_i):
    '''grad loss for i-th data point'''
    w_t = torch.tensor(np.asarray(w, dtype=np.float64), requires_grad=True)
    p = torch.sigmoid(w_t @ torch.as_tensor(x_i, dtype=torch.float64))
    y = float(y_i[0])
    loss = -(y * torch.log(p) + (1 - y) * torch.log(1 - p))
    loss.backward()
    return w_t.grad.numpy()
