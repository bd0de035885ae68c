def cross_entropy_loss(x, labels):
    log_probs = torch.log(torch.softmax(x, dim=1))
    losses = -log_probs.gather(1, labels.view(-1, 1)).squeeze(1)
    avg_loss = torch.mean(losses)
    return avg_loss
