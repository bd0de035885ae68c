def sequential_func2(x):
    inp = torch.tensor([[x]], dtype=torch.float64, requires_grad=True)
    c = inp**2 + torch.exp(inp**2)
    f = torch.sqrt(c) + torch.cos(c)
    f.backward()
    return inp.grad.item()
