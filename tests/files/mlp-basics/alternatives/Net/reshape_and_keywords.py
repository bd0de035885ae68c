class Net(nn.Module):
    """MLP whose hidden layers all use the activation named by `actv`."""

    def __init__(self, actv, input_feature_num, hidden_unit_nums, output_feature_num):
        super(Net, self).__init__()
        self.input_feature_num = input_feature_num
        self.mlp = nn.Sequential()

        in_num = input_feature_num
        for i, out_num in enumerate(hidden_unit_nums):
            self.mlp.add_module('Linear_%d' % i, nn.Linear(in_features=in_num, out_features=out_num, bias=True))
            self.mlp.add_module('Activation_%d' % i, eval('nn.%s' % actv))
            in_num = out_num

        self.mlp.add_module('Output_Linear', nn.Linear(in_num, output_feature_num))

    def forward(self, x):
        return self.mlp(x.reshape(-1, self.input_feature_num))
