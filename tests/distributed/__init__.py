"""The distributed mode end to end: PostgreSQL, a real broker, `grader worker` processes."""
