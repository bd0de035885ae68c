def sequential_func2(x):
    inp = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    a = inp * inp
    b = a.exp()
    c = a + b
    f = c.sqrt() + c.cos()
    (grad,) = torch.autograd.grad(f, inp)
    return float(grad)
