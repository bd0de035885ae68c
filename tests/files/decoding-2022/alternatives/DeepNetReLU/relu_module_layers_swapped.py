class DeepNetReLU(nn.Module):
    """One hidden layer of ReLUs; the layers are created output first, with an nn.ReLU module."""

    def __init__(self, n_inputs, n_hidden):
        super().__init__()
        self.out_layer = nn.Linear(n_hidden, 1)
        self.relu = nn.ReLU()
        self.in_layer = nn.Linear(n_inputs, n_hidden)

    def forward(self, r):
        return self.out_layer(self.relu(self.in_layer(r)))
