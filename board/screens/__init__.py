"""What each screen shows, read from the database: a table's board, the plenary wall, the
organizer's console and consolidation, the results.

These read models never write. Views render them, realtime.py pushes them to rooms and the
exports print them, all importing downward: a screen's data is built in one place.
"""
