def loss_i(w, x_i, y_i):
    '''cross entropy loss for i-th data point'''
    p_i = sigmoid(np.sum(w * x_i))
    if y_i == 1:
        return -np.log(p_i)
    return -np.log(1 - p_i)
