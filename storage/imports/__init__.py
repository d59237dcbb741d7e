"""Bringing a team's table in, free of file formats: rows of text in, records out.

Which field a column holds and which row is the header (columns), values out of cells
(cells: dates as sheets hold them, tier and stage words, lists), every row checked and
classified against the records there are into a preview (preview), an import's life
around the writing (jobs: created from an upload, columns and choices set, started,
cancelled) and the confirmed write, batch by batch, resumable and undoable (writer).
Reading and writing the files themselves is bot/tables/.

Like all of storage, it may import the rest of storage; never telegram or bot.
"""
