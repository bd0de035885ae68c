import torch.nn.functional as F

def loss_i(w, x_i, y_i):
    '''cross entropy loss for i-th data point'''
    z = torch.as_tensor(x_i, dtype=torch.float64) @ torch.as_tensor(w, dtype=torch.float64)
    return F.binary_cross_entropy_with_logits(z, torch.as_tensor(y_i, dtype=torch.float64)[0])
