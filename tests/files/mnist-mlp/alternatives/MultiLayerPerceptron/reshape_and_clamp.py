class MultiLayerPerceptron(nn.Module):
    """Flatten, then hidden -> ReLU -> output."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(28 * 28, 100, bias=True)
        self.output = nn.Linear(100, 10, bias=True)

    def forward(self, x):
        x = x.reshape(-1, 28 * 28)
        h = self.hidden(x).clamp(min=0)
        return self.output(h)
