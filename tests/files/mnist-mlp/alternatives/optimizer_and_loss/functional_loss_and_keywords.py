model = MultiLayerPerceptron()
optimizer = torch.optim.Adam(params=model.parameters(), lr=0.01)

loss_fn = F.cross_entropy
