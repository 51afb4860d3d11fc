"""The innovation watch: feeds.opml → fetch → parse → sanitize → store → dedupe → themes → score.

One module per stage; `update.update_feeds` runs them in order, `listing.list_items` reads
the result. Every stage is usable from Python without the CLI.
"""
