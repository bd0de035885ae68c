class Net(nn.Module):
    def __init__(self, actv, input_feature_num, hidden_unit_nums, output_feature_num):
        super().__init__()
        self.input_feature_num = input_feature_num
        self.mlp = nn.Sequential()
        sizes = [input_feature_num, *hidden_unit_nums]
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            self.mlp.add_module(f'Linear_{i}', nn.Linear(n_in, n_out))
            self.mlp.add_module(f'Activation_{i}', eval('nn.' + actv))
        self.mlp.add_module('Output_Linear', nn.Linear(sizes[-1], output_feature_num))

    def forward(self, x):
        x = torch.flatten(x, start_dim=1)
        for layer in self.mlp:
            x = layer(x)
        return x
