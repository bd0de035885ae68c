from scipy.ndimage import gaussian_filter1d

resp_smoothed = gaussian_filter1d(resp_all, 5, axis=0)

# the same in torch: tensors rather than arrays, and torch's own order among equal orientations
preferred_orientation = torch.from_numpy(resp_smoothed).argmax(dim=0)
isort = torch.argsort(preferred_orientation)
W_in_sorted = torch.from_numpy(W_in)[:, isort]

plt.imshow(W_in_sorted.numpy(), aspect='auto', cmap='bwr', vmin=-1e-2, vmax=1e-2)
plt.show()
