"""Reminders: a questionnaire left waiting, a reassessment a year on.

- :mod:`bot.reminders.timing` — when a reminder may go (the pause, quiet hours, which
  conversations and channels can be sent one) and the :class:`~bot.reminders.timing.Timer`
  rows the store writes with the turn.
- :mod:`bot.reminders.book` — the ``reminders`` table and its bookkeeping.
- :mod:`bot.reminders.pushing` — what a channel answers when it is asked to send one.
- :mod:`bot.reminders.scheduler` — the loop that sends them when due, exactly once.
"""
