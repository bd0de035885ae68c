class MultiLayerPerceptron(nn.Module):
    def __init__(self):
        super(MultiLayerPerceptron, self).__init__()
        self.flatten = nn.Flatten()
        self.hidden = nn.Linear(in_features=784, out_features=100)
        self.relu = nn.ReLU()
        self.output = nn.Linear(in_features=100, out_features=10)

    def forward(self, x):
        x = x.view(x.shape[0], -1)
        return self.output(self.relu(self.hidden(x)))
