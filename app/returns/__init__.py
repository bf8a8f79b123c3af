"""Returns of goods through any channel: at a store, by mail, or by pickup."""
