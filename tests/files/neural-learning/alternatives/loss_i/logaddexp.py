def loss_i(w, x_i, y_i):
    '''cross entropy loss for i-th data point'''
    # -ln(sigmoid(z)) = ln(1 + e^-z) and -ln(1 - sigmoid(z)) = ln(1 + e^z), without overflow
    z = np.dot(w, x_i)
    return float(y_i[0] * np.logaddexp(0, -z) + (1 - y_i[0]) * np.logaddexp(0, z))
