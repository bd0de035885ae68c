def regularized_loss(output, target, weights, L2_penalty=0, L1_penalty=0):
    """Negative log likelihood picked out with gather; penalties from vector norms."""
    nll = -output.gather(1, target.view(-1, 1)).mean()
    L2 = L2_penalty * torch.linalg.vector_norm(weights) ** 2
    L1 = L1_penalty * torch.linalg.vector_norm(weights, ord=1)
    return nll + L2 + L1
