class MultiLayerPerceptron(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(784, 100)
        self.output = nn.Linear(100, 10)

    def forward(self, x):
        x = nn.Flatten()(x)
        x = torch.relu(self.hidden(x))
        x = self.output(x)
        return x
