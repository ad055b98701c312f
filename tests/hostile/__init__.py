"""Hostile input: what an attacker, a careless paste or a broken client sends, on every page.

Each module takes one kind of attack across the whole site and grows with it: a new route,
text field, upload or export is covered by walking the route table, the models and the
exports rather than by listing them here.
"""
