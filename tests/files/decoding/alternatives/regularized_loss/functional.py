def regularized_loss(output, target, weights, L2_penalty=0, L1_penalty=0):
    nll = nn.functional.nll_loss(output, target)
    return nll + L2_penalty * weights.pow(2).sum() + L1_penalty * weights.abs().sum()
