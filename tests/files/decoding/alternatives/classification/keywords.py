np.random.seed(1)
torch.manual_seed(1)

n_classes = 20

net = DeepNetSoftmax(n_inputs=n_neurons, n_hidden=20, n_classes=n_classes)
loss_fn = nn.NLLLoss(reduction='mean')
