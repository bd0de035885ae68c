class DeepNetReLU(nn.Module):
    def __init__(self, n_inputs, n_hidden):
        super().__init__()
        self.in_layer = nn.Linear(n_inputs, n_hidden)
        self.out_layer = nn.Linear(n_hidden, 1)

    def forward(self, r):
        h = self.in_layer(r).clamp(min=0)
        return h @ self.out_layer.weight.T + self.out_layer.bias
