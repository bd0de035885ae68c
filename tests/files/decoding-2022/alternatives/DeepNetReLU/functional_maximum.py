import torch.nn.functional as F


class DeepNetReLU(nn.Module):
    """ network with a single hidden layer h with a RELU """

    def __init__(self, n_inputs, n_hidden):
        super().__init__()
        self.in_layer = nn.Linear(n_inputs, n_hidden)
        self.out_layer = nn.Linear(n_hidden, 1)

    def forward(self, r):
        pre = self.in_layer(r)
        h = torch.maximum(pre, torch.zeros_like(pre))
        return F.linear(h, self.out_layer.weight, self.out_layer.bias)
