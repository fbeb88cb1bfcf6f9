"""From a planning system's exports to one tidy daily table: reading, validation, calendar, daily-last.

Also the bundled synthetic export (``sample``). Nothing here imports TensorFlow.
"""
