import torch.nn.functional as F

np.random.seed(1)
torch.manual_seed(1)

net = DeepNetReLU(n_neurons, 10)
r, ori = get_data(20, resp_train, stimuli_train)
out = net(r)

loss_fn = F.mse_loss
loss = loss_fn(ori, out).item()  # a plain float, targets first: the same number
print('mean squared error: %.2f' % loss)
