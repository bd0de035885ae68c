from scipy.ndimage import gaussian_filter1d

resp_smoothed = gaussian_filter1d(resp_all, 5, axis=0)

preferred_orientation = np.argmax(resp_smoothed, axis=0)
isort = np.argsort(preferred_orientation, kind='stable')
W_in_sorted = np.take(W_in, isort, axis=1)

plt.imshow(W_in_sorted, aspect='auto', cmap='bwr', vmin=-1e-2, vmax=1e-2)
plt.show()
