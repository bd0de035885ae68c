"""What only the grading service needs: storage, the roster, submissions and their dispatch.

The engine (``grader``) never imports this package; the HTTP layer (``api``) does.
"""
