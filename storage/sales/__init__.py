"""What customers buy and what the team makes of it.

Purchases on the timeline and the stage they move (purchases), deals moved stage by
stage through the pipeline (deals), what each customer is worth and who is slipping away,
recomputed nightly (value), the customer's satisfaction score (satisfaction), the numbers
behind /stats and its charts (stats) and saved filters by name (segments).

Like all of storage, it may import the rest of storage; never telegram or bot.
"""
