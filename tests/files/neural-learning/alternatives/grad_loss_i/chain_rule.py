def grad_loss_i(w, x_i, y_i):
    '''grad loss for i-th data point'''
    # dL/dp * dp/dz * dz/dw, with dp/dz = grad_sigmoid(z) and dz/dw = x_i
    z = w @ x_i
    p_i = sigmoid(z)
    dloss_dp = -(y_i / p_i - (1 - y_i) / (1 - p_i))
    return dloss_dp * grad_sigmoid(z) * x_i
