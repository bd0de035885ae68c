def grad_func2(x):
    # The backward pass of the graph a = x^2, b = exp(a), c = a + b, d = sqrt(c), e = cos(c), f = d + e
    a = x**2
    b = np.exp(a)
    c = a + b
    df_dc = 1 / (2 * np.sqrt(c)) - np.sin(c)
    df_da = df_dc * (1 + b)
    return df_da * 2 * x
