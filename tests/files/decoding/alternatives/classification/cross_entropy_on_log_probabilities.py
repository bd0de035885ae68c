np.random.seed(1)
torch.manual_seed(1)

n_classes = 20

net = DeepNetSoftmax(n_neurons, 20, n_classes)
# On log probabilities (what DeepNetSoftmax outputs) the cross-entropy is the same loss:
# log_softmax leaves them unchanged.
loss_fn = nn.CrossEntropyLoss()
