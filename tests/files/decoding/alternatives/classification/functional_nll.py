np.random.seed(1)
torch.manual_seed(1)

n_classes = 20

net = DeepNetSoftmax(n_neurons, 20, n_classes)
loss_fn = nn.functional.nll_loss
