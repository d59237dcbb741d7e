"""People's words in, structured data out: what a member typed or said, understood.

Dates and times ("下周五下午3点", "next Friday"; dates), money and quantities ("4.8万",
"$4.8k"; amounts), a customer in one line, a shared contact or a vCard (customers), a
call or visit logged in one sentence (logs), a purchase or a deal in one sentence (sales)
and the filter words of /find, /export, /stats and segments ("tag:vip quiet:30";
filters; the one reader that asks the database, for the saved segments a `seg:` word
names). Each reader is a plain function of text and "now" that returns what it
understood, shown back to the member before anything is saved.

May import storage only (its models, validation and names); nothing else of bot, and
never telegram.
"""
