"""Staff pages for members: search, loyalty import, merge, outbox."""
