"""The staff desk: tickets between people and the secretariat (issue 16).

- :mod:`~bot.tickets.store`: tickets, their messages and staff-chat posts in SQLite
- :mod:`~bot.tickets.desk`: hand-off to ticket, staff answering from their chat, the sweep
- :mod:`~bot.tickets.stats`: the figures of ``zjtx tickets stats``
"""

from .desk import DESK_COMMANDS, Outcome, TicketDesk
from .store import ACTIVE, STATES, Ticket, TicketMessage, TicketStore

__all__ = [
    "ACTIVE",
    "DESK_COMMANDS",
    "STATES",
    "Outcome",
    "Ticket",
    "TicketDesk",
    "TicketMessage",
    "TicketStore",
]
