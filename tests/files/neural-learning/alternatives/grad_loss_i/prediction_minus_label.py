def grad_loss_i(w, x_i, y_i):
    '''grad loss for i-th data point'''
    return (sigmoid(x_i @ w) - y_i[0]) * x_i
