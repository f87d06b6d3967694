"""Changes to the question bank, quizzes and attempts; the only code that writes their models.

``questions``: the bank. ``quizzes``: building and publishing. ``attempts``: starting, answering,
finishing and grading. ``results``: overrides and regrades.
"""
