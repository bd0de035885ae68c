import math

def grad_func2(x):
    inner = x * x + math.exp(x * x)
    return 2 * x * (1 + math.exp(x * x)) * (0.5 / math.sqrt(inner) - math.sin(inner))
