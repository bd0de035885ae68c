np.random.seed(1)
torch.manual_seed(1)

net = DeepNetReLU(n_neurons, 10)
r, ori = get_data(20, resp_train, stimuli_train)
out = net(r)

loss_fn = nn.MSELoss()
loss = ((out - ori) ** 2).mean()
print(f'mean squared error: {loss.item():.2f}')
