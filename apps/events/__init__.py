"""Domain events: ``event_publish(Event(...))`` after a safe write; handlers in ``handlers.py``."""
