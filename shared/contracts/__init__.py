"""The contract library: stored contracts (text, clauses with exact offsets, token counts) and the form the
analyzers read them in."""
